"""pytest must never import anything under eval/: the malicious samples are inert text for
the analyser, not code to run. The offline check of the samples lives in
tests/artifacts/test_eval_samples.py."""

collect_ignore_glob = ["*"]

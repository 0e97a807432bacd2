"""The GitHub REST API as a source of facts about a repository at the refs in use: who owns
it (a user or an organisation), whether it is archived, its releases with dates, what each
tag or branch in use resolves to (annotated tags followed to their commit), and whether a
pinned commit belongs to the repository's own history. Shared by the GitHub Actions and
pre-commit adapters (`repository.py`)."""

from chaingate.cli import main

main()

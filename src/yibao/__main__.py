from yibao.cli import main

main()

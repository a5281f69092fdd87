from supportinbox.cli import main

main()

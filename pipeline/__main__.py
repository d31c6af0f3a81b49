from pipeline.cli import main

if __name__ == "__main__":  # the tagging processes import this module again under another name
    main()

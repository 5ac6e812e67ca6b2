"""One module per `faqbot` command, each with `run(args) -> exit code`."""

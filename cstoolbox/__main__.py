"""Command line: ``python -m cstoolbox demo [NAME] [--quick] [--out DIR]`` and ``python -m cstoolbox list``."""
import sys

USAGE = """usage: python -m cstoolbox COMMAND

commands:
  demo [NAME] [--quick] [--out DIR] [--seed S]   run a demo (default: the audio quantization demo)
  list                                           list the demos
  version                                        print the version
"""


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "version":
        import cstoolbox
        print(cstoolbox.__version__)
        return 0
    from cstoolbox import demos
    if cmd == "list":
        for name, desc in demos.list_demos().items():
            print(f"{name:28s} {desc}")
        return 0
    if cmd == "demo":
        name = demos.DEFAULT_DEMO
        if rest and not rest[0].startswith("-"):
            name, rest = rest[0], rest[1:]
        try:
            module = demos.get_demo(name)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        result = module.main(rest)
        return result if isinstance(result, int) else 0
    print(f"error: unknown command {cmd!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

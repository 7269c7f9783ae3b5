"""``python -m reasoner`` runs the ``her2neg`` command."""

from reasoner.cli import main

if __name__ == "__main__":
    main()

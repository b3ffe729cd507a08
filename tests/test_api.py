import importlib

import cobrokit


def test_every_public_name_resolves() -> None:
    for name in cobrokit.__all__:
        assert getattr(cobrokit, name) is not None, name


def test_the_pure_core_imports_no_io() -> None:
    """money, model, interest, plans, ladder decisions: no pluggy, requests, sqlite3 or smtplib."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import cobrokit.money, cobrokit.model, cobrokit.interest, cobrokit.plans, cobrokit.promises, "
        "cobrokit.allocation, cobrokit.settlements, cobrokit.ladder.decide, cobrokit.aging, cobrokit.notice\n"
        "bad = [m for m in ('pluggy', 'requests', 'sqlite3', 'smtplib') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"the pure core imported {out}"


def test_modules_have_docstrings() -> None:
    import pkgutil

    for info in pkgutil.walk_packages(cobrokit.__path__, "cobrokit."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        assert module.__doc__ and module.__doc__.strip(), info.name

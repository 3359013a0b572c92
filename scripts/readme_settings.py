"""Regenerate the README's settings tables from the settings table (`python scripts/readme_settings.py`)."""

import re
from pathlib import Path

from intacct_dagster.intacct.settings import settings_table_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def main() -> None:
    text = README.read_text()
    for group in ("connection", "extraction", "destination", "dagster", "finance"):
        block = f"<!-- settings:{group} -->\n{settings_table_markdown(group)}\n<!-- /settings:{group} -->"
        pattern = re.compile(rf"<!-- settings:{group} -->(?:\n.*?<!-- /settings:{group} -->)?", re.S)
        text = pattern.sub(lambda m, b=block: b, text, count=1)
    README.write_text(text)


if __name__ == "__main__":
    main()

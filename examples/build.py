"""Build the bundled example workbooks from their data files and the edition's template writer.

    python examples/build.py            # writes examples/*.xlsx
A test checks that the committed workbooks equal what this script writes.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from xltools.book import load_data_file  # noqa: E402
from xltools.edition import load_edition  # noqa: E402
from xltools.outputs import atomic_write  # noqa: E402
from xltools.template.write import write_template  # noqa: E402

EXAMPLES = {
    # output file: (edition, year, data file, corrections file or None)
    "longyao-cac-2020.as-published.xlsx": ("hebei-county-2020", 2020, "longyao-cac-2020.toml", None),
    "longyao-cac-2020.xlsx": ("hebei-county-2020", 2020, "longyao-cac-2020.toml", "longyao-cac-2020.corrections.toml"),
}


def merged(data: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(data)
    for table, rows in patch.items():
        if isinstance(rows, dict):
            for row, cols in rows.items():
                out.setdefault(table, {}).setdefault(row, {}).update(cols)
        else:
            out[table] = rows
    return out


def example_data(name: str) -> tuple[str, int, dict[str, Any]]:
    edition, year, data_file, patch_file = EXAMPLES[name]
    data = load_data_file(HERE / data_file)
    if patch_file:
        data = merged(data, load_data_file(HERE / patch_file))
    return edition, year, data


def build(out_dir: Path = HERE) -> list[Path]:
    written = []
    for name in EXAMPLES:
        edition, year, data = example_data(name)
        ed = load_edition(edition, year)
        target = out_dir / name
        atomic_write(target, lambda tmp, ed=ed, data=data: write_template(ed, tmp, data))
        written.append(target)
    return written


if __name__ == "__main__":
    for p in build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(p)

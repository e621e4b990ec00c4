"""Checks of ismsbook's exports by real consumers, run by tests/interchange.rs in the venv
that .ci/run (or the test itself) creates from tests/requirements.txt.

  python interchange.py schema SCHEMA JSON        validate JSON against the JSON Schema
  python interchange.py workbook XLSX CSV         compare every cell of sheet 1 with the CSV
  python interchange.py trestle OSCAL_DIR WORKDIR trestle init/import/validate the 3 files

Each prints what it checked and exits non-zero, with the reason, on the first failure.
"""

import csv
import datetime
import json
import os
import subprocess
import sys


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def schema(schema_path, json_path):
    import jsonschema

    with open(schema_path, encoding="utf-8") as f:
        s = json.load(f)
    with open(json_path, encoding="utf-8") as f:
        doc = json.load(f)
    jsonschema.Draft202012Validator.check_schema(s)
    errors = sorted(jsonschema.Draft202012Validator(s).iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        fail("\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:20]))
    print(f"valid: {json_path}")


def cell_text(value, number_format):
    """A cell as the CSV writes it: dates YYYY-MM-DD, empty cells empty."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if number_format != "yyyy-mm-dd":
            fail(f"a date cell has the number format {number_format!r}, not yyyy-mm-dd")
        return value.date().isoformat()
    if not isinstance(value, str):
        fail(f"a cell holds {type(value).__name__} {value!r}: every non-date cell must be text")
    return value


def workbook(xlsx_path, csv_path):
    import openpyxl

    wb = openpyxl.load_workbook(xlsx_path)
    ws = wb.worksheets[0]
    with open(csv_path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if ws.max_row != len(rows):
        fail(f"{ws.max_row} rows in the sheet, {len(rows)} in the CSV")
    width = len(rows[0])
    if ws.max_column != width:
        fail(f"{ws.max_column} columns in the sheet, {width} in the CSV")
    dates = 0
    links = 0
    for r, row in enumerate(rows, start=1):
        for c, expected in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            got = cell_text(cell.value, cell.number_format)
            if got != expected:
                fail(f"{cell.coordinate}: {got!r} in the workbook, {expected!r} in the CSV")
            if isinstance(cell.value, datetime.datetime):
                dates += 1
            if cell.hyperlink is not None:
                links += 1
    if ws.freeze_panes != "A2":
        fail(f"the header row is not frozen (freeze_panes = {ws.freeze_panes!r})")
    last = openpyxl.utils.get_column_letter(width)
    if ws.auto_filter.ref != f"A1:{last}{len(rows)}":
        fail(f"autofilter is {ws.auto_filter.ref!r}, not A1:{last}{len(rows)}")
    for c in range(1, width + 1):
        letter = openpyxl.utils.get_column_letter(c)
        dim = ws.column_dimensions[letter]
        if not dim.width or dim.width < len(rows[0][c - 1]):
            fail(f"column {letter} ({rows[0][c - 1]}) is {dim.width} wide: narrower than its header")
    if not all(ws.cell(row=1, column=c).font.b for c in range(1, width + 1)):
        fail("the header row is not bold")
    about = {row[0].value: row[1].value for row in wb["About"].iter_rows(min_row=1, max_col=2)}
    print(json.dumps({
        "rows": len(rows) - 1,
        "dates": dates,
        "links": links,
        "first_link": next((ws.cell(row=r, column=1).hyperlink.target for r in range(2, len(rows) + 1)
                            if ws.cell(row=r, column=1).hyperlink is not None), None),
        "about": {k: (v.date().isoformat() if isinstance(v, datetime.datetime) else v) for k, v in about.items()},
    }))


def trestle(oscal_dir, work):
    """Imports catalog, profile and SSP into a fresh trestle workspace and validates them.

    trestle resolves the SSP's import-profile and the profile's import hrefs relative to the
    current folder: run from OSCAL_DIR, so that the files' own relative links are what it
    follows."""
    bindir = os.path.dirname(sys.executable)
    exe = os.path.join(bindir, "trestle")
    os.makedirs(work, exist_ok=True)

    def run(args, cwd):
        p = subprocess.run([exe] + args, cwd=cwd, capture_output=True, text=True)
        out = p.stdout + p.stderr
        if p.returncode != 0 or "ERROR" in out:
            fail(f"trestle {' '.join(args)} failed ({p.returncode}):\n{out}")
        return out

    run(["init"], work)
    for name in ["catalog", "profile", "ssp"]:
        run(["import", "-tr", work, "-f", f"{name}.json", "-o", "handbook"], oscal_dir)
    out = run(["validate", "-tr", work, "-a"], oscal_dir)
    valid = [line for line in out.splitlines() if line.startswith("VALID:")]
    if len(valid) != 3:
        fail(f"expected 3 VALID models, got:\n{out}")
    print(out)


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"schema": schema, "workbook": workbook, "trestle": trestle}[cmd](*args)

"""FAQ matcher quality on BANKING77 and CLINC150 through `watchkeeper faq-eval`.

BANKING77: train.csv split per category (20% held out), once per --seed: a setting should hold on
several splits, not just on one. CLINC150: `train` as train, `val` + `oos_val` as test, "oos" marking
out-of-scope rows (fixed splits, so it runs once). The CSVs are written to a temporary folder and the
app's own command is run on them; its JSON lines are printed with the data set's name.

Usage: python benchmarks/faq_eval.py [--data ../shared/data] [--seed 0 [1 2 ...]]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from watchkeeper.answers.evaluation import read_labelled_csv, split_per_category  # noqa: E402


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category"])
        writer.writerows(rows)
    return path


def faq_eval(train: Path, test: Path, oos_label: str | None = None) -> dict[str, object]:
    command = [
        sys.executable,
        "-m",
        "watchkeeper.cli",
        "faq-eval",
        "--train",
        str(train),
        "--test",
        str(test),
    ]
    if oos_label:
        command += ["--oos-label", oos_label]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--seed", type=int, nargs="+", default=[0], help="BANKING77 split seeds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wk-faq-") as folder:
        work = Path(folder)
        banking = read_labelled_csv(args.data / "banking77" / "train.csv")
        for seed in args.seed:
            train_rows, test_rows = split_per_category(banking, test_share=0.2, seed=seed)
            report = faq_eval(
                write_csv(work / "b77-train.csv", train_rows), write_csv(work / "b77-test.csv", test_rows)
            )
            print(json.dumps({"dataset": "banking77", "seed": seed, **report}), flush=True)

        clinc = json.loads((args.data / "clinc150" / "dev.json").read_text(encoding="utf-8"))
        clinc_train = write_csv(work / "clinc-train.csv", [tuple(item) for item in clinc["train"]])
        clinc_test = write_csv(
            work / "clinc-test.csv", [tuple(item) for item in clinc["val"] + clinc["oos_val"]]
        )
        print(json.dumps({"dataset": "clinc150", **faq_eval(clinc_train, clinc_test, "oos")}))


if __name__ == "__main__":
    main()

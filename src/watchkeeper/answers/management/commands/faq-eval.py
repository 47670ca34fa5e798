"""`watchkeeper faq-eval --train TRAIN.csv --test TEST.csv [--oos-label oos]`

Builds a throw-away knowledge base in a temporary SQLite database — one published article per
category whose sample questions are that category's training texts — trains the matcher the way the
worker does after publishing, asks every test question through the app's matcher, and prints one JSON
line: {"n", "hit_at_1", "hit_at_3", "mrr", "answered_correct", "answered_wrong", "oos_declined",
"p50_ms", "p99_ms"}. The interface is stable: other checks parse it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

INSIDE_FLAG = "--inside-temporary-database"


class Command(BaseCommand):
    help = "Measure the FAQ matcher on labelled CSV files (header text,category) in a temporary database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--train", required=True, type=Path, help="CSV with header text,category")
        parser.add_argument("--test", required=True, type=Path, help="CSV with header text,category")
        parser.add_argument(
            "--oos-label", default=None, help="category of out-of-scope rows in the test file"
        )
        parser.add_argument(INSIDE_FLAG, action="store_true", help="internal: run in the prepared database")

    def handle(self, *args: Any, **options: Any) -> None:
        from watchkeeper.answers.evaluation import read_labelled_csv

        train_path, test_path = options["train"].resolve(), options["test"].resolve()
        try:
            train_rows = read_labelled_csv(train_path)
            test_rows = read_labelled_csv(test_path)
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        if not options["inside_temporary_database"]:
            self._rerun_in_temporary_database(train_path, test_path, options["oos_label"])
            return
        report = self._evaluate(train_rows, test_rows, options["oos_label"])
        self.stdout.write(json.dumps(report))

    def _rerun_in_temporary_database(self, train: Path, test: Path, oos_label: str | None) -> None:
        """Settings are fixed once Django starts, so the evaluation runs in a child process whose
        data directory (and so its SQLite database) is a fresh temporary one."""
        with tempfile.TemporaryDirectory(prefix="wk-faq-eval-") as data_dir:
            env = {**os.environ, "WATCHKEEPER_DATA_DIR": data_dir, "RUN_WORKER_IN_PROCESS": "0"}
            for variable in ("DATABASE_URL", "REDIS_URL", "EMAIL_URL"):
                env.pop(variable, None)
            env.setdefault("SECRET_KEY", "faq-eval-" + "x" * 40)
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
            migrate = subprocess.run(
                [sys.executable, "-m", "watchkeeper.cli", "migrate", "--verbosity", "0"], env=env, check=False
            )
            if migrate.returncode:
                raise CommandError("Could not create the temporary database.")
            # Our own interpreter and command; the paths are passed as arguments, never through a shell.
            result = subprocess.run(  # noqa: S603
                [*command, INSIDE_FLAG], env=env, check=False, capture_output=True, text=True
            )
            if result.returncode:
                raise CommandError(result.stderr.strip() or "The evaluation failed.")
            self.stdout.write(result.stdout.strip())

    def _evaluate(
        self, train_rows: list[tuple[str, str]], test_rows: list[tuple[str, str]], oos_label: str | None
    ) -> dict[str, Any]:
        from django.contrib.auth import get_user_model

        from watchkeeper.accounts.actions import assign_role
        from watchkeeper.accounts.roles import Role
        from watchkeeper.answers import actions as answer_actions
        from watchkeeper.answers.evaluation import evaluate
        from watchkeeper.answers.queries import match_question
        from watchkeeper.helpcenter import actions

        users = get_user_model().objects
        writer = users.create_user("writer@faq-eval.invalid", None)
        reviewer = users.create_user("reviewer@faq-eval.invalid", None)
        assign_role(writer, Role.CONTENT_REVIEWER)
        assign_role(reviewer, Role.CONTENT_REVIEWER)
        writer = users.get(pk=writer.pk)  # fresh permission caches
        reviewer = users.get(pk=reviewer.pk)
        category = actions.save_category("evaluation", {"en": "Evaluation"})
        section = actions.save_section(category, "evaluation", {"en": "Evaluation"})

        questions: dict[str, list[str]] = {}
        for text, label in train_rows:
            if label != oos_label:
                questions.setdefault(label, []).append(text)
        article_of_category: dict[str, int] = {}
        with actions.one_retraining():
            for number, (label, texts) in enumerate(sorted(questions.items()), start=1):
                item = actions.create_article(
                    writer,
                    section=section,
                    slug=f"category-{number}",
                    level="beginner",
                    language="en",
                    # No title of its own: the category's name is a label, not customer language.
                    content=actions.RevisionInput(title=texts[0], body=texts[0], sample_questions=texts[1:]),
                )
                actions.submit_for_review(writer, item)
                actions.approve(reviewer, item)
                article_of_category[label] = item.article_id
        answer_actions.retrain_matcher()

        def ask(question: str) -> tuple[str, list[int]]:
            answer = match_question(question, language="en", limit=3)
            return answer.decision, [article.article_id for article in answer.articles]

        return evaluate(ask, test_rows, article_of_category, oos_label)

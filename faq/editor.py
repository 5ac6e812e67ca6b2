"""Admins' edits of the knowledge-base YAML: validated first, written round-trip, backed up.

Every write builds the candidate files in a temporary directory and runs the same
validator as `faqbot faq validate`; only a candidate without errors replaces the
files (after a timestamped backup). Renaming an entry's id also rewrites every
`related` that names it, so a rename never leaves the knowledge base broken.
The caller writes the audit record (from `SaveResult.changes`) and reloads the bot.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from faq import yaml_roundtrip as rt
from faq.editor_errors import entry_field_errors, lexicon_errors
from faq.kb_documents import (
    EditRefused,
    EntryDraft,
    delete_entry,
    draft_of,
    find_entry,
    holder,
    put_entry,
    put_synonyms,
    section,
)
from faq.loader import DEFAULT_KB_DIR, Problem, kb_files, load_kb, validate
from faq.model import KnowledgeBase

__all__ = ["Change", "EntryDraft", "KbEditor", "ListedEntry", "SaveResult"]

logger = logging.getLogger(__name__)

_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True, slots=True)
class ListedEntry:
    """An entry as it stands in its file, with the place it starts."""

    draft: EntryDraft
    file: Path
    line: int


@dataclass(frozen=True, slots=True)
class Change:
    """One file rewritten by a save: what the audit record needs."""

    action: str  # "add", "edit", "rename", "phrasing", "delete" or "synonyms"
    entry_id: str | None
    file: Path
    backup: Path | None
    diff: str
    author: str


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What a save did, or why it did nothing (`field_errors` keyed by draft field)."""

    entry_id: str | None
    changes: tuple[Change, ...] = ()
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.field_errors and not self.problems


@dataclass(frozen=True, slots=True)
class _Candidate:
    """Files as they are on disk (`before`) and as the edit would leave them (`after`)."""

    before: dict[Path, str]
    after: dict[Path, str]


Edit = Callable[[dict[Path, Any]], set[Path]]
ErrorsFor = Callable[[list[Problem], _Candidate], tuple[dict[str, list[str]], list[Problem]]]


class KbEditor:
    """Reads and edits the YAML of one knowledge base (a directory or a single file)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        backups_dir: Path | None = None,
        keep_backups: int = 20,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.path = Path(path) if path is not None else DEFAULT_KB_DIR
        root = self.path if self.path.is_dir() else self.path.parent
        self.backups_dir = backups_dir if backups_dir is not None else root / ".backups"
        self.keep_backups = keep_backups
        self._clock = clock
        with _LOCKS_GUARD:  # one lock per knowledge base, however many editors share it
            self._lock = _LOCKS.setdefault(self.path.resolve(), threading.Lock())

    # ------------------------------------------------------------------ reading

    def entries(self) -> list[ListedEntry]:
        """Every entry in file order, read now from disk (hand edits included)."""
        found = []
        for file, data in self._documents().items():
            for item in section(data, "entries"):
                if isinstance(item, CommentedMap):
                    found.append(ListedEntry(draft_of(item), file, item.lc.line + 1))
        return found

    def entry(self, entry_id: str) -> ListedEntry | None:
        """The entry with this id, or None."""
        return next((e for e in self.entries() if e.draft.id == entry_id), None)

    def search(self, query: str) -> list[ListedEntry]:
        """Entries whose id, question, phrasings, keywords or answer contain `query`."""
        needle = _fold(query)
        return [
            e
            for e in self.entries()
            if any(
                needle in _fold(text)
                for text in (
                    e.draft.id,
                    e.draft.question,
                    e.draft.answer,
                    *e.draft.phrasings,
                    *e.draft.keywords,
                )
            )
        ]

    def synonym_groups(self) -> list[tuple[str, ...]]:
        """The synonym lexicon's groups, in file order."""
        data = self._documents()
        file = holder(data, "synonyms")
        groups = section(data[file], "synonyms") if file else []
        return [tuple(str(w) for w in g) for g in groups if isinstance(g, list)]

    # ------------------------------------------------------------------ writing

    def save_entry(
        self,
        draft: EntryDraft,
        *,
        original_id: str | None = None,
        author: str,
        base: EntryDraft | None = None,
    ) -> SaveResult:
        """Edit the entry `original_id` (None: add `draft` after the last entry).

        With `base` (the entry as the admin opened it) the save is refused if the
        entry was changed on disk since, instead of silently overwriting that change.
        """
        draft = draft.cleaned()
        action = "add" if original_id is None else "edit"
        if original_id is not None and original_id != draft.id:
            action = "rename"
        return self._save(
            lambda docs: put_entry(docs, draft, original_id, base),
            entry_id=draft.id,
            action=action,
            author=author,
            errors_for=lambda problems, _: entry_field_errors(problems, draft),
        )

    def preview_entry(
        self, draft: EntryDraft, *, original_id: str | None = None
    ) -> KnowledgeBase | SaveResult:
        """The knowledge base as it would be after `save_entry`, without writing anything."""
        draft = draft.cleaned()
        with self._lock:
            checked = self._validated(
                lambda docs: put_entry(docs, draft, original_id, None),
                draft.id,
                lambda problems, _: entry_field_errors(problems, draft),
                load=True,
            )
        if isinstance(checked, SaveResult):
            return checked
        kb = checked[2]
        assert kb is not None  # load=True and no errors
        return kb.model_copy(update={"sources": tuple(str(f) for f in kb_files(self.path))})

    def add_phrasing(self, faq_id: str, text: str, *, author: str) -> SaveResult:
        """Teach entry `faq_id` one more way patients ask (a no-op if it has it already)."""
        text = text.strip()
        seen: list[EntryDraft] = []

        def edit(docs: dict[Path, Any]) -> set[Path]:
            # read under the lock: two phrasings learnt at once must both be kept
            found = find_entry(docs, faq_id)
            if found is None:
                raise EditRefused("id", f"no entry {faq_id!r}")
            draft = draft_of(found[1])
            seen.append(replace(draft, phrasings=(*draft.phrasings, text)))
            if _fold(text) in {_fold(p) for p in (draft.question, *draft.phrasings)}:
                return set()
            return put_entry(docs, seen[-1], faq_id, None)

        return self._save(
            edit,
            entry_id=faq_id,
            action="phrasing",
            author=author,
            errors_for=lambda problems, _: entry_field_errors(problems, seen[-1]),
        )

    def delete_entry(self, entry_id: str, *, author: str) -> SaveResult:
        """Remove an entry; refused (validator errors) while other entries relate to it."""
        return self._save(
            lambda docs: delete_entry(docs, entry_id),
            entry_id=entry_id,
            action="delete",
            author=author,
            errors_for=lambda problems, _: ({}, list(problems)),
        )

    def save_synonyms(self, groups: Sequence[Sequence[str]], *, author: str) -> SaveResult:
        """Replace the lexicon's groups; errors are keyed by group index ("0", "1", …)."""
        cleaned = [tuple(w.strip() for w in g) for g in groups]
        return self._save(
            lambda docs: put_synonyms(docs, cleaned, self.path),
            entry_id=None,
            action="synonyms",
            author=author,
            errors_for=lambda problems, c: lexicon_errors(problems, c.after),
        )

    # ------------------------------------------------------------------ machinery

    def _save(
        self,
        edit: Edit,
        *,
        entry_id: str | None,
        action: str,
        author: str,
        errors_for: ErrorsFor,
    ) -> SaveResult:
        with self._lock:  # re-read, validate and write as one step
            checked = self._validated(edit, entry_id, errors_for, load=False)
            if isinstance(checked, SaveResult):
                return checked
            candidate, warnings, _ = checked
            changed = {f: t for f, t in candidate.after.items() if t != candidate.before.get(f)}
            if any(_read(f) != candidate.before.get(f) for f in changed):
                message = "a file was changed by hand during the save; nothing written, try again"
                problem = Problem(str(self.path), None, entry_id, message)
                return SaveResult(entry_id, problems=(problem,))
            changes = []
            now = self._clock()
            for file, text in changed.items():
                saved = rt.backup(file, self.backups_dir, now, keep=self.keep_backups)
                rt.write_atomically(file, text)
                diff = rt.unified_diff(candidate.before.get(file, ""), text, file.name)
                changes.append(Change(action, entry_id, file, saved, diff, author))
        logger.info("kb %s of %s by %s: %d file(s)", action, entry_id, author, len(changes))
        return SaveResult(entry_id, tuple(changes), warnings=warnings)

    def _validated(
        self, edit: Edit, entry_id: str | None, errors_for: ErrorsFor, *, load: bool
    ) -> tuple[_Candidate, tuple[Problem, ...], KnowledgeBase | None] | SaveResult:
        """The edit applied to fresh copies of the files and validated, or why it failed."""
        before = {f: f.read_text(encoding="utf-8") for f in kb_files(self.path)}
        docs = {f: _parsed(f, text) for f, text in before.items()}
        try:
            touched = edit(docs)
        except EditRefused as exc:
            return SaveResult(entry_id, field_errors={exc.field: [exc.message]})
        if not touched:
            return SaveResult(entry_id)  # nothing to change
        after = {f: (rt.dump(docs[f]) if f in touched else text) for f, text in before.items()}
        after.update({f: rt.dump(docs[f]) for f in touched if f not in before})
        candidate = _Candidate(before, after)
        with tempfile.TemporaryDirectory(prefix="faqbot-kb-") as temp:
            for file, text in after.items():
                (Path(temp) / file.name).write_text(text, encoding="utf-8")
            staged = Path(temp) if self.path.is_dir() else Path(temp) / self.path.name
            problems = [self._unstaged(p, Path(temp)) for p in validate(staged)]
            errors = [p for p in problems if p.level == "error"]
            warnings = tuple(p for p in problems if p.level != "error")
            if errors:
                by_field, rest = errors_for(errors, candidate)
                logger.info("kb save of %s refused: %d error(s)", entry_id, len(errors))
                return SaveResult(entry_id, (), by_field, tuple(rest), warnings)
            kb = load_kb(staged) if load else None
        return candidate, warnings, kb

    def _unstaged(self, problem: Problem, temp: Path) -> Problem:
        """The problem with its file named as on disk, not in the temporary directory."""
        real = str(self.path if self.path.is_dir() else self.path.parent)
        return replace(
            problem,
            file=problem.file.replace(str(temp), real, 1),
            message=problem.message.replace(str(temp), real),
        )

    def _documents(self) -> dict[Path, Any]:
        return {f: _parsed(f) for f in kb_files(self.path)}


class KbUnreadable(Exception):
    """A knowledge-base file is not YAML the editor can read (e.g. broken by a hand edit)."""


def _parsed(file: Path, text: str | None = None) -> Any:
    """The file's round-trip document; KbUnreadable naming file and line if it cannot be."""
    try:
        return rt.load(file.read_text(encoding="utf-8") if text is None else text)
    except UnicodeDecodeError:
        raise KbUnreadable(f"{file}: not UTF-8 text") from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        reason = getattr(exc, "problem", None) or "invalid YAML"
        raise KbUnreadable(f"{where}: YAML syntax error: {reason}") from None


def _read(file: Path) -> str | None:
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()

"""The lab file format: one YAML file per lab in ``labs/content/``, loaded into dataclasses.

Every file is validated when it is loaded. A problem raises ``LabFormatError`` naming the
file and the field path (``steps[2].checks[0].check``), so an author sees at once what to
fix. Instructions are Markdown with per-learner placeholders (``{key:data-key:alias}``);
they are filled in first and then rendered with raw HTML disabled, so nothing an author or
a learner's value contains can inject markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt

from kmsconsole.engine.enums import KeySpec, KeyUsage

CONTENT_DIR = Path(__file__).resolve().parent / "content"

TOPICS = (
    "encryption", "policies", "iam", "grants", "cross-account", "rotation",
    "deletion", "signing", "hmac", "monitoring", "costs",
)  # fmt: skip
LEVELS = ("beginner", "intermediate", "advanced")
WAYS = ("cli", "boto3", "console")
ACCOUNTS = ("A", "B")
KEY_STATES = ("Enabled", "Disabled", "PendingDeletion")
MIN_MINUTES, MAX_MINUTES = 10, 40

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_REF = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
# Anything that looks like a placeholder; ``_PLACEHOLDER_FORMS`` says which are valid.
_PLACEHOLDER = re.compile(r"\{(endpoint|region|workspace|account|admin|key|user|role|ciphertext)(?::([^{}\s]*))?\}")
_PLACEHOLDER_FORMS: dict[str, tuple[str, ...]] = {
    "endpoint": ("",),
    "region": ("",),
    "workspace": ("",),
    "account": ("A", "B"),
    "admin": ("A:arn", "A:access_key_id", "A:secret_access_key", "B:arn", "B:access_key_id", "B:secret_access_key"),
    "key": ("REF", "REF:id", "REF:arn", "REF:alias"),
    "user": ("REF:arn", "REF:name", "REF:access_key_id", "REF:secret_access_key"),
    "role": ("REF:arn", "REF:name"),
    "ciphertext": ("REF",),
}


class LabFormatError(Exception):
    """A lab file that does not follow the format, with where and what."""

    def __init__(self, file: str, path: str, message: str) -> None:
        super().__init__(f"{file}: {path}: {message}" if path else f"{file}: {message}")
        self.file = file
        self.path = path
        self.message = message


# ---------------------------------------------------------------- the data


@dataclass(frozen=True)
class SetupCiphertext:
    ref: str
    plaintext: str
    context: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SetupKey:
    ref: str
    account: str = "A"
    alias: str = ""
    description: str = ""
    spec: str = KeySpec.SYMMETRIC_DEFAULT.value
    usage: str = ""
    policy: dict[str, Any] | None = None
    rotation_days: int | None = None
    state: str = "Enabled"
    tags: dict[str, str] = field(default_factory=dict)
    ciphertexts: tuple[SetupCiphertext, ...] = ()
    bypass_policy_lockout_check: bool = False


@dataclass(frozen=True)
class SetupUser:
    ref: str
    name: str
    account: str = "A"
    policy: dict[str, Any] | None = None


@dataclass(frozen=True)
class SetupRole:
    ref: str
    name: str
    trust: dict[str, Any]
    account: str = "A"
    policy: dict[str, Any] | None = None


@dataclass(frozen=True)
class Setup:
    clock_offset_days: int = 0
    users: tuple[SetupUser, ...] = ()
    roles: tuple[SetupRole, ...] = ()
    keys: tuple[SetupKey, ...] = ()


@dataclass(frozen=True)
class CheckSpec:
    check: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Submission:
    """A text box on a step: what the learner pastes (a stored payload, a signature) is
    kept with their progress and read by the step's checks (``ctx.submission(step_id)``)."""

    label: str
    help: str = ""


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    instructions: str
    ways: tuple[str, ...]
    checks: tuple[CheckSpec, ...]
    hints: tuple[str, ...] = ()
    submission: Submission | None = None


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool
    explanation: str


@dataclass(frozen=True)
class QuizQuestion:
    question: str
    kind: str
    choices: tuple[Choice, ...]

    @property
    def correct_indexes(self) -> frozenset[int]:
        return frozenset(index for index, choice in enumerate(self.choices) if choice.correct)


@dataclass(frozen=True)
class Lab:
    slug: str
    title: str
    summary: str
    topic: str
    level: str
    minutes: int
    objectives: tuple[str, ...]
    prerequisites: tuple[str, ...]
    setup: Setup
    steps: tuple[Step, ...]
    quiz: tuple[QuizQuestion, ...]

    def step(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.id == step_id), None)

    @property
    def solution_module(self) -> str:
        """The module holding ``solve(session)``: ``labs.solutions.envelope_encryption``."""
        return f"labs.solutions.{self.slug.replace('-', '_')}"


# ---------------------------------------------------------------- loading


def lab_files(directory: Path = CONTENT_DIR) -> list[Path]:
    return sorted(directory.glob("*.yaml"))


def load_lab(path: Path) -> Lab:
    """Read and validate one lab file."""
    stat = path.stat()
    return _load_cached(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _load_cached(path: Path, mtime_ns: int, size: int) -> Lab:
    reader = _Reader(path.name)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as problem:
        raise LabFormatError(path.name, "", f"not valid YAML: {problem}") from None
    lab = reader.lab(document)
    if lab.slug != path.stem:
        raise LabFormatError(path.name, "slug", f"must equal the file name ({path.stem!r}), not {lab.slug!r}")
    return lab


def load_all(directory: Path = CONTENT_DIR) -> dict[str, Lab]:
    """Every lab, by slug, in catalogue order (by topic, then level, then title)."""
    labs = [load_lab(path) for path in lab_files(directory)]
    labs.sort(key=lambda lab: (TOPICS.index(lab.topic), LEVELS.index(lab.level), lab.title))
    return {lab.slug: lab for lab in labs}


def get_lab(slug: str, directory: Path = CONTENT_DIR) -> Lab | None:
    path = directory / f"{slug}.yaml"
    if not _SLUG.fullmatch(slug) or not path.is_file():
        return None
    return load_lab(path)


class _Reader:
    """Turns one parsed YAML document into a ``Lab``, raising at the first problem."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, message: str) -> LabFormatError:
        return LabFormatError(self.file, path, message)

    # -- generic field readers

    def mapping(self, value: Any, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path or "(top level)", f"must be a mapping, not {type(value).__name__}")
        for name in value:
            if name not in allowed:
                raise self.fail(_join(path, str(name)), f"unknown field; expected one of: {', '.join(allowed)}")
        for name in required:
            if name not in value:
                raise self.fail(_join(path, name), "is required")
        return value

    def text(self, value: Any, path: str, *, pattern: re.Pattern[str] | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, "must be a non-empty string")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(path, f"{value!r} must match {pattern.pattern}")
        return value

    def choice(self, value: Any, path: str, options: tuple[str, ...]) -> str:
        if value not in options:
            raise self.fail(path, f"{value!r} is not one of: {', '.join(options)}")
        return str(value)

    def integer(self, value: Any, path: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(path, f"must be an integer from {low} to {high}, not {value!r}")
        return value

    def flag(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"must be true or false, not {value!r}")
        return value

    def items(self, value: Any, path: str, read: Callable[[Any, str], Any], *, non_empty: bool = False) -> tuple:
        if value is None:
            value = []
        if not isinstance(value, list):
            raise self.fail(path, f"must be a list, not {type(value).__name__}")
        if non_empty and not value:
            raise self.fail(path, "must have at least one entry")
        return tuple(read(item, f"{path}[{index}]") for index, item in enumerate(value))

    def strings(self, value: Any, path: str, **options: Any) -> tuple[str, ...]:
        return self.items(value, path, lambda item, where: self.text(item, where), **options)

    def string_map(self, value: Any, path: str) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(path, "must be a mapping of names to strings")
        for name, item in value.items():
            if not isinstance(name, str) or not isinstance(item, str):
                raise self.fail(_join(path, str(name)), f"must be a string, not {type(item).__name__}")
        return dict(value)

    def document(self, value: Any, path: str) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict) or "Statement" not in value:
            raise self.fail(path, "must be a policy document (a mapping with Version and Statement)")
        return value

    def unique(self, values: list[str], path: str, what: str) -> None:
        seen: set[str] = set()
        for value in values:
            if value in seen:
                raise self.fail(path, f"{what} {value!r} is used twice")
            seen.add(value)

    # -- the lab

    def lab(self, raw: Any) -> Lab:
        fields = (
            "slug", "title", "summary", "topic", "level", "minutes", "objectives",
            "prerequisites", "setup", "steps", "quiz",
        )  # fmt: skip
        required = ("slug", "title", "summary", "topic", "level", "minutes", "objectives", "steps", "quiz")
        data = self.mapping(raw, "", fields, required)
        setup = self.setup(data.get("setup") or {}, "setup")
        steps = self.items(data["steps"], "steps", self.step, non_empty=True)
        self.unique([step.id for step in steps], "steps", "step id")
        lab = Lab(
            slug=self.text(data["slug"], "slug", pattern=_SLUG),
            title=self.text(data["title"], "title"),
            summary=self.text(data["summary"], "summary"),
            topic=self.choice(data["topic"], "topic", TOPICS),
            level=self.choice(data["level"], "level", LEVELS),
            minutes=self.integer(data["minutes"], "minutes", MIN_MINUTES, MAX_MINUTES),
            objectives=self.strings(data["objectives"], "objectives", non_empty=True),
            prerequisites=self.items(
                data.get("prerequisites"), "prerequisites", lambda v, p: self.text(v, p, pattern=_SLUG)
            ),
            setup=setup,
            steps=steps,
            quiz=self.items(data["quiz"], "quiz", self.question, non_empty=True),
        )
        self.placeholders(lab)
        return lab

    def setup(self, raw: Any, path: str) -> Setup:
        data = self.mapping(raw, path, ("clock_offset_days", "users", "roles", "keys"))
        setup = Setup(
            clock_offset_days=self.integer(data.get("clock_offset_days", 0), f"{path}.clock_offset_days", 0, 3650),
            users=self.items(data.get("users"), f"{path}.users", self.user),
            roles=self.items(data.get("roles"), f"{path}.roles", self.role),
            keys=self.items(data.get("keys"), f"{path}.keys", self.key),
        )
        self.unique([u.ref for u in setup.users] + [r.ref for r in setup.roles], f"{path}.users/roles", "ref")
        self.unique([k.ref for k in setup.keys], f"{path}.keys", "key ref")
        self.unique([c.ref for k in setup.keys for c in k.ciphertexts], f"{path}.keys", "ciphertext ref")
        self.unique([k.alias for k in setup.keys if k.alias], f"{path}.keys", "alias")
        return setup

    def user(self, raw: Any, path: str) -> SetupUser:
        data = self.mapping(raw, path, ("ref", "account", "name", "policy"), ("ref", "name"))
        return SetupUser(
            ref=self.text(data["ref"], f"{path}.ref", pattern=_REF),
            name=self.text(data["name"], f"{path}.name"),
            account=self.choice(data.get("account", "A"), f"{path}.account", ACCOUNTS),
            policy=self.document(data.get("policy"), f"{path}.policy"),
        )

    def role(self, raw: Any, path: str) -> SetupRole:
        data = self.mapping(raw, path, ("ref", "account", "name", "trust", "policy"), ("ref", "name", "trust"))
        trust = self.document(data["trust"], f"{path}.trust")
        assert trust is not None
        return SetupRole(
            ref=self.text(data["ref"], f"{path}.ref", pattern=_REF),
            name=self.text(data["name"], f"{path}.name"),
            trust=trust,
            account=self.choice(data.get("account", "A"), f"{path}.account", ACCOUNTS),
            policy=self.document(data.get("policy"), f"{path}.policy"),
        )

    def key(self, raw: Any, path: str) -> SetupKey:
        fields = (
            "ref", "account", "alias", "description", "spec", "usage", "policy", "rotation_days",
            "state", "tags", "ciphertexts", "bypass_policy_lockout_check",
        )  # fmt: skip
        data = self.mapping(raw, path, fields, ("ref",))
        alias = str(data.get("alias") or "")
        if alias and (not re.fullmatch(r"alias/[a-zA-Z0-9/_-]{1,250}", alias) or alias.startswith("alias/aws/")):
            raise self.fail(f"{path}.alias", f"{alias!r} must look like alias/my-key (and not alias/aws/...)")
        rotation = data.get("rotation_days")
        return SetupKey(
            ref=self.text(data["ref"], f"{path}.ref", pattern=_REF),
            account=self.choice(data.get("account", "A"), f"{path}.account", ACCOUNTS),
            alias=alias,
            description=str(data.get("description", "")),
            spec=self.choice(data.get("spec", "SYMMETRIC_DEFAULT"), f"{path}.spec", tuple(KeySpec)),
            usage=self.choice(data["usage"], f"{path}.usage", tuple(KeyUsage)) if "usage" in data else "",
            policy=self.document(data.get("policy"), f"{path}.policy"),
            rotation_days=None if rotation is None else self.integer(rotation, f"{path}.rotation_days", 90, 2560),
            state=self.choice(data.get("state", "Enabled"), f"{path}.state", KEY_STATES),
            tags=self.string_map(data.get("tags"), f"{path}.tags"),
            ciphertexts=self.items(data.get("ciphertexts"), f"{path}.ciphertexts", self.ciphertext),
            bypass_policy_lockout_check=self.flag(
                data.get("bypass_policy_lockout_check", False), f"{path}.bypass_policy_lockout_check"
            ),
        )

    def ciphertext(self, raw: Any, path: str) -> SetupCiphertext:
        data = self.mapping(raw, path, ("ref", "plaintext", "context"), ("ref", "plaintext"))
        return SetupCiphertext(
            ref=self.text(data["ref"], f"{path}.ref", pattern=_REF),
            plaintext=self.text(data["plaintext"], f"{path}.plaintext"),
            context=self.string_map(data.get("context"), f"{path}.context"),
        )

    def step(self, raw: Any, path: str) -> Step:
        fields = ("id", "title", "instructions", "ways", "hints", "checks", "submission")
        data = self.mapping(raw, path, fields, ("id", "title", "instructions", "ways", "checks"))
        ways = self.items(data["ways"], f"{path}.ways", lambda v, p: self.choice(v, p, WAYS), non_empty=True)
        submission = None
        if data.get("submission") is not None:
            box = self.mapping(data["submission"], f"{path}.submission", ("label", "help"), ("label",))
            submission = Submission(self.text(box["label"], f"{path}.submission.label"), str(box.get("help", "")))
        return Step(
            id=self.text(data["id"], f"{path}.id", pattern=_SLUG),
            title=self.text(data["title"], f"{path}.title"),
            instructions=self.text(data["instructions"], f"{path}.instructions"),
            ways=ways,
            hints=self.strings(data.get("hints"), f"{path}.hints"),
            checks=self.items(data["checks"], f"{path}.checks", self.check_spec, non_empty=True),
            submission=submission,
        )

    def check_spec(self, raw: Any, path: str) -> CheckSpec:
        data = self.mapping(raw, path, ("check", "params"), ("check",))
        params = data.get("params") or {}
        if not isinstance(params, dict):
            raise self.fail(f"{path}.params", "must be a mapping of parameter names to values")
        return CheckSpec(self.text(data["check"], f"{path}.check", pattern=re.compile(r"[a-z][a-z0-9_]*")), params)

    def question(self, raw: Any, path: str) -> QuizQuestion:
        data = self.mapping(raw, path, ("question", "kind", "choices"), ("question", "kind", "choices"))
        kind = self.choice(data["kind"], f"{path}.kind", ("single", "multiple"))
        choices = self.items(data["choices"], f"{path}.choices", self.quiz_choice, non_empty=True)
        correct = sum(1 for choice in choices if choice.correct)
        if len(choices) < 2:
            raise self.fail(f"{path}.choices", "needs at least two choices")
        if kind == "single" and correct != 1:
            raise self.fail(
                f"{path}.choices", f"a single-choice question needs exactly one correct choice, not {correct}"
            )
        if kind == "multiple" and correct < 1:
            raise self.fail(f"{path}.choices", "a multiple-choice question needs at least one correct choice")
        return QuizQuestion(self.text(data["question"], f"{path}.question"), kind, choices)

    def quiz_choice(self, raw: Any, path: str) -> Choice:
        data = self.mapping(raw, path, ("text", "correct", "explanation"), ("text", "correct", "explanation"))
        return Choice(
            text=self.text(data["text"], f"{path}.text"),
            correct=self.flag(data["correct"], f"{path}.correct"),
            explanation=self.text(data["explanation"], f"{path}.explanation"),
        )

    def placeholders(self, lab: Lab) -> None:
        """Every placeholder in instructions and hints must be well formed and name a setup ref."""
        refs = {
            "key": {key.ref for key in lab.setup.keys},
            "user": {user.ref for user in lab.setup.users},
            "role": {role.ref for role in lab.setup.roles},
            "ciphertext": {c.ref for key in lab.setup.keys for c in key.ciphertexts},
        }
        aliased = {key.ref for key in lab.setup.keys if key.alias}
        for index, step in enumerate(lab.steps):
            texts = {"instructions": step.instructions}
            texts.update({f"hints[{n}]": hint for n, hint in enumerate(step.hints)})
            for name, text in texts.items():
                for match in _PLACEHOLDER.finditer(text):
                    problem = placeholder_problem(match[1], match[2] or "", refs, aliased)
                    if problem:
                        raise self.fail(f"steps[{index}].{name}", f"placeholder {match[0]}: {problem}")


def placeholder_problem(kind: str, argument: str, refs: Mapping[str, set[str]], aliased: set[str]) -> str:
    """Why a placeholder is invalid, or "" if it is fine."""
    forms = _PLACEHOLDER_FORMS[kind]
    if kind in refs:
        ref, _, attribute = argument.partition(":")
        form = f"REF:{attribute}" if attribute else "REF"
        if form not in forms:
            return f"expected one of {', '.join('{' + kind + ':' + f + '}' for f in forms)}"
        if ref not in refs[kind]:
            return f"no {kind} with ref {ref!r} in the setup"
        if kind == "key" and attribute == "alias" and ref not in aliased:
            return f"key {ref!r} has no alias in the setup"
        return ""
    if argument not in forms:
        shown = ", ".join("{" + kind + (":" + f if f else "") + "}" for f in forms)
        return f"expected one of {shown}"
    return ""


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# ---------------------------------------------------------------- rendering


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Replace each placeholder by the learner's value (``values`` is keyed by the
    placeholder without braces: ``key:data-key:alias``); unknown ones are left as written."""

    def replace(match: re.Match[str]) -> str:
        name = match[1] + (f":{match[2]}" if match[2] else "")
        return values.get(name, match[0])

    return _PLACEHOLDER.sub(replace, text)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # CommonMark with raw HTML off: "<script>" in a lab or a value is shown, never run.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def render_markdown(text: str) -> str:
    """Markdown to HTML that is safe to mark safe: raw HTML is escaped, links with
    ``javascript:`` and similar schemes are refused by markdown-it's link validation."""
    return _markdown().render(text)


def render_instructions(text: str, values: Mapping[str, str]) -> str:
    return render_markdown(fill_placeholders(text, values))

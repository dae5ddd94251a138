"""Campaign templates: partial campaign files in ``TEMPLATES_DIR`` that pre-fill the modal.

Checked at start-up, one file at a time. A broken template (bad YAML, unknown fields, an account
that is not in this installation's ``ACCOUNTS_FILE``, a missing video) is skipped and reported
with its file name and the problem (start-up log, ``health``, a note under the modal's template
select); it never stops a command that does not use it. The shipped example names the
maintainers' own account, so a new user with their own accounts file must still be able to work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meta.domain.accounts import AccountRegistry
from meta.domain.spec import FIELDS
from meta.domain.yaml_files import YamlFileError, load_yaml_file


class TemplateError(ValueError):
    """A template file is unusable; the message says what is wrong with it."""


@dataclass(frozen=True)
class Template:
    key: str
    label: str
    values: dict[str, Any]


@dataclass(frozen=True)
class BrokenTemplate:
    """A template file that was skipped: ``path`` as found, ``problem`` in words."""

    path: Path
    problem: str

    @property
    def name(self) -> str:
        return self.path.name

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass(frozen=True)
class TemplateFolder:
    """What a templates folder holds: the usable templates and the skipped ones."""

    templates: list[Template] = field(default_factory=list)
    broken: list[BrokenTemplate] = field(default_factory=list)


def load_templates(folder: Path, *, accounts: AccountRegistry, base_dir: Path) -> TemplateFolder:
    """Every ``*.yaml``/``*.yml`` in ``folder``; a missing folder simply has no templates."""
    if not folder.is_dir():
        return TemplateFolder()
    loaded = TemplateFolder()
    for path in sorted(folder.glob("*.y*ml")):
        try:
            loaded.templates.append(_load_one(path, accounts=accounts, base_dir=base_dir))
        except TemplateError as exc:
            loaded.broken.append(BrokenTemplate(path=path, problem=str(exc)))
    return loaded


def _load_one(path: Path, *, accounts: AccountRegistry, base_dir: Path) -> Template:
    try:
        data = load_yaml_file(path)
    except YamlFileError as exc:
        raise TemplateError(str(exc).removeprefix(f"{path}: ")) from None
    if not isinstance(data, dict):
        raise TemplateError("expected a mapping of campaign fields")
    label = str(data.pop("label", path.stem))
    unknown = sorted(str(k) for k in data if k not in FIELDS)
    if unknown:
        raise TemplateError(f"unknown fields {', '.join(unknown)}")
    account = data.get("account")
    if account is not None and accounts.get(str(account)) is None:
        raise TemplateError(
            f"account {account!r} is not in ACCOUNTS_FILE; add it there or change the template"
        )
    video = data.get("video")
    if video is not None:
        video_path = Path(str(video))
        if not video_path.is_absolute():
            video_path = base_dir / video_path
        if not video_path.is_file():
            raise TemplateError(f"video {video} not found")
    return Template(key=path.stem, label=label[:75], values=data)

"""Campaign templates: partial campaign files under ``configs/templates/`` that pre-fill the modal.

Loaded and checked at start-up, so a broken template stops the process with the file's name
instead of surprising someone mid-launch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meta.accounts import AccountRegistry
from meta.campaign_spec import FIELDS
from meta.yaml_files import YamlFileError, load_yaml_file


class TemplateError(ValueError):
    """A template file is unusable; the message names the file and the problem."""


@dataclass(frozen=True)
class Template:
    key: str
    label: str
    values: dict[str, Any]


def load_templates(folder: Path, *, accounts: AccountRegistry, base_dir: Path) -> list[Template]:
    if not folder.is_dir():
        return []
    templates = []
    for path in sorted(folder.glob("*.y*ml")):
        try:
            data = load_yaml_file(path)
        except YamlFileError as exc:
            raise TemplateError(str(exc)) from None
        if not isinstance(data, dict):
            raise TemplateError(f"{path}: expected a mapping of campaign fields")
        label = str(data.pop("label", path.stem))
        unknown = sorted(str(k) for k in data if k not in FIELDS)
        if unknown:
            raise TemplateError(f"{path}: unknown fields {', '.join(unknown)}")
        account = data.get("account")
        if account is not None and accounts.get(str(account)) is None:
            raise TemplateError(f"{path}: unknown account {account!r}")
        video = data.get("video")
        if video is not None:
            video_path = Path(str(video))
            if not video_path.is_absolute():
                video_path = base_dir / video_path
            if not video_path.is_file():
                raise TemplateError(f"{path}: video {video} not found")
        templates.append(Template(key=path.stem, label=label[:75], values=data))
    return templates

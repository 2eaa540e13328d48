"""Attachments travel through the outbox by reference and are loaded only when sent.

A reference is a dict with a "kind". Built in: {"kind": "file", "path": ..., "filename": ...,
"content_type": ...} with a path inside the data directory. Other domains' kinds (an invoice
PDF by id, for example) are registered with `register_loader` by whoever assembles the
worker (create_app, `linedesk worker`); a loader reads through the worker's own sessions.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Sources:
    """Where a loader may read: the data directory, the worker's database."""

    data_dir: Path
    sessionmaker: async_sessionmaker[AsyncSession]


Loader = Callable[[dict[str, Any], Sources], Awaitable[Attachment]]
_loaders: dict[str, Loader] = {}


def register_loader(kind: str, loader: Loader) -> None:
    _loaders[kind] = loader


def _read_file(reference: dict[str, Any], data_dir: Path) -> Attachment:
    root = data_dir.resolve()
    path = (root / reference["path"]).resolve()
    if not path.is_relative_to(root):
        raise ValueError("attachment path outside the data directory")
    return Attachment(
        filename=reference.get("filename") or path.name,
        content_type=reference.get("content_type") or "application/octet-stream",
        content=path.read_bytes(),
    )


async def _load_file(reference: dict[str, Any], sources: Sources) -> Attachment:
    return await asyncio.to_thread(_read_file, reference, sources.data_dir)


register_loader("file", _load_file)


async def load_attachments(references: list[dict[str, Any]], sources: Sources) -> list[Attachment]:
    loaded = []
    for reference in references:
        loader = _loaders.get(reference.get("kind", ""))
        if loader is None:
            raise ValueError(f"unknown attachment kind: {reference.get('kind')!r}")
        loaded.append(await loader(reference, sources))
    return loaded

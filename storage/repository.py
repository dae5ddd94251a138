"""``CampaignStore``: campaigns, their Meta objects, audit trail, alert outbox, de-duplication.

It implements ``meta.domain.ports.CampaignRepository``: records go out (``meta.domain.records``),
never ORM rows, and every write is a typed method, so a misspelled field is an error where it
is written instead of a silent no-op. Every write commits at once: the pipeline relies on
"returned means durable" so that a crash after any call loses nothing that Meta already has.
Every status change is checked against ``meta.domain.states.TRANSITIONS``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import Update

from meta.domain.ports import KEEP, Keep, NewAlert, NewAudit, Transition
from meta.domain.records import (
    REJECTED_BY,
    AlertRecord,
    AuditRecord,
    CampaignRecord,
    MetaObject,
    ObjectKind,
    ObjectRef,
    ObjectStatus,
    SharedVideo,
)
from meta.domain.states import Status, Step, check_transition
from storage import leasing
from storage.models import (
    Alert,
    AuditEvent,
    Base,
    CampaignRow,
    MetaObjectRow,
    ProcessedRequest,
    SharedVideoRow,
    utcnow,
)
from storage.transient import DEFAULT_BUDGET_SECONDS, retrying

F = TypeVar("F", bound=Callable[..., Any])


def _replayable(value: Any) -> Any:
    """An iterator argument as a tuple, so a second try sees the same values: a generator
    handed to a call that met a locked database was used up by the first try, and the retry
    then wrote nothing (the activation burst's moves, at a start time under a lock)."""
    return tuple(value) if isinstance(value, Iterator) else value


def _retried(method: F) -> F:
    """Run a store call again after a transient database error (``storage.transient``)."""

    @functools.wraps(method)
    def wrapper(self: CampaignStore, *args: Any, **kwargs: Any) -> Any:
        args = tuple(_replayable(value) for value in args)
        kwargs = {name: _replayable(value) for name, value in kwargs.items()}
        return retrying(
            lambda: method(self, *args, **kwargs),
            budget=self.retry_seconds,
            what=f"store.{method.__name__}",
        )

    return wrapper  # type: ignore[return-value]


# The hottest calls (a creation makes about 65 store calls) go through SQLAlchemy Core on a plain
# connection with statements built once here: the ORM's unit of work, identity map and per-call
# statement building were over half of the bot's CPU with 20 creations at once (py-spy, issue 18),
# and a record leaves storage as a frozen dataclass anyway, so nothing needs an ORM object.
_CAMPAIGNS = Base.metadata.tables["campaigns"]
_OBJECTS = Base.metadata.tables["meta_objects"]
_CAMPAIGN_BY_ID = select(_CAMPAIGNS).where(_CAMPAIGNS.c.id == bindparam("target_id"))
_OBJECTS_OF = select(_OBJECTS).where(
    _OBJECTS.c.campaign_id.in_(bindparam("campaign_ids", expanding=True))
)
_OBJECTS_OF_ONE = select(_OBJECTS).where(_OBJECTS.c.campaign_id == bindparam("of_campaign"))
_OBJECT_BY_REF = select(_OBJECTS).where(
    _OBJECTS.c.campaign_id == bindparam("of_campaign"),
    _OBJECTS.c.kind == bindparam("of_kind"),
    _OBJECTS.c.key == bindparam("of_key"),
)
# SET clauses come from the parameters' column names; the WHERE names avoid them.
_UPDATE_CAMPAIGN = update(_CAMPAIGNS).where(_CAMPAIGNS.c.id == bindparam("target_id"))
_UPDATE_OBJECT = update(_OBJECTS).where(_OBJECTS.c.id == bindparam("target_id"))
_INSERT_OBJECT = insert(_OBJECTS)


def _ref_params(campaign_id: int, ref: ObjectRef) -> dict[str, Any]:
    return {"of_campaign": campaign_id, "of_kind": str(ref.kind), "of_key": ref.key}


def _kept(**fields: Any) -> dict[str, Any]:
    """The fields a caller set (``KEEP`` means leave the column as it is)."""
    return {name: value for name, value in fields.items() if value is not KEEP}


def meta_object(row: MetaObjectRow | Row[Any]) -> MetaObject:
    return MetaObject(
        id=row.id,
        campaign_id=row.campaign_id,
        kind=ObjectKind(row.kind),
        key=row.key,
        meta_id=row.meta_id,
        status=ObjectStatus(row.status),
        step=Step(row.step) if row.step else None,
        pending=bool(row.pending),
        name=row.name,
        parent_id=row.parent_id,
        uses_id=row.uses_id,
        upload_session=row.upload_session,
        thumbnail_url=row.thumbnail_url,
        details=row.details,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _shared_video(row: SharedVideoRow) -> SharedVideo:
    return SharedVideo(
        ad_account_id=row.ad_account_id,
        sha256=row.sha256,
        owner_campaign_id=row.owner_campaign_id,
        meta_id=row.meta_id,
        updated_at=row.updated_at,
    )


def _shared_row(session: Session, ad_account_id: str, sha256: str) -> SharedVideoRow | None:
    """The claim on these bytes in this account, locked until the transaction ends (PostgreSQL;
    SQLite serialises writers anyway)."""
    return session.scalars(
        select(SharedVideoRow)
        .where(SharedVideoRow.ad_account_id == ad_account_id, SharedVideoRow.sha256 == sha256)
        .with_for_update()
    ).first()


def campaign_record(
    row: CampaignRow | Row[Any], objects: Sequence[MetaObjectRow | Row[Any]] = ()
) -> CampaignRecord:
    return CampaignRecord(
        id=row.id,
        account_key=row.account_key,
        ad_account_id=row.ad_account_id,
        name=row.name,
        spec=row.spec,
        status=row.status,
        step=row.step,
        requested_by=row.requested_by,
        source=row.source,
        start_time=row.start_time,
        activate_at=row.activate_at,
        activated_at=row.activated_at,
        approved_by=row.approved_by,
        claimed_by=row.claimed_by,
        error=row.error,
        last_sync=row.last_sync,
        slack_channel=row.slack_channel,
        slack_ts=row.slack_ts,
        created_at=row.created_at,
        updated_at=row.updated_at,
        objects=tuple(meta_object(o) for o in sorted(objects, key=lambda o: o.id)),
    )


def _records(
    db: Session | Connection, rows: Sequence[CampaignRow | Row[Any]]
) -> list[CampaignRecord]:
    """Campaign rows with their objects, in one query for all of them."""
    ids = [row.id for row in rows]
    by_campaign: dict[int, list[Row[Any]]] = {i: [] for i in ids}
    if ids:
        for obj in db.execute(_OBJECTS_OF, {"campaign_ids": ids}):
            by_campaign[obj.campaign_id].append(obj)
    return [campaign_record(row, by_campaign[row.id]) for row in rows]


def _record(db: Session | Connection, row: CampaignRow | Row[Any] | None) -> CampaignRecord | None:
    if row is None:
        return None
    return campaign_record(row, db.execute(_OBJECTS_OF_ONE, {"of_campaign": row.id}).all())


def _campaign_row(connection: Connection, campaign_id: int) -> Row[Any] | None:
    return connection.execute(_CAMPAIGN_BY_ID, {"target_id": campaign_id}).first()


def _object_row(connection: Connection, campaign_id: int, ref: ObjectRef) -> Row[Any] | None:
    return connection.execute(_OBJECT_BY_REF, _ref_params(campaign_id, ref)).first()


def audit_record(row: AuditEvent) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        campaign_id=row.campaign_id,
        actor=row.actor,
        action=row.action,
        outcome=row.outcome,
        detail=row.detail,
        at=row.at,
    )


def _claim_pending_alert(alert_id: int, holder: str | None) -> Update:
    """The compare-and-set that makes a pending alert ``holder``'s to send (its row count says
    whether it did), shared by the one-alert and the burst claims."""
    return (
        update(Alert)
        .where(Alert.id == alert_id, Alert.status == "pending")
        .values(
            status="sending", attempts=Alert.attempts + 1, claimed_by=holder, claimed_at=utcnow()
        )
    )


def alert_record(row: Alert) -> AlertRecord:
    return AlertRecord(
        id=row.id,
        campaign_id=row.campaign_id,
        kind=row.kind,
        dedupe_key=row.dedupe_key,
        payload=row.payload,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
    )


class CampaignStore:
    """Campaign rows and their Meta objects, audit trail, alert outbox, request de-duplication."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        retry_seconds: float = DEFAULT_BUDGET_SECONDS,
    ) -> None:
        self._sessions = session_factory
        engine = session_factory.kw.get("bind")
        if not isinstance(engine, Engine):
            raise TypeError("CampaignStore needs a session factory bound to an engine")
        self._engine: Engine = engine
        # How long one call keeps retrying a locked or unreachable database before it raises
        # DatabaseUnavailableError; every call is one short transaction, so a retry is safe.
        self.retry_seconds = retry_seconds

    # campaigns ---------------------------------------------------------------------------
    @_retried
    def add_campaign(
        self,
        *,
        account_key: str,
        ad_account_id: str,
        name: str,
        spec: dict[str, Any],
        requested_by: str | None,
        source: str,
        start_time: datetime,
        status: Status = Status.CREATING,
        slack_channel: str | None = None,
        slack_ts: str | None = None,
    ) -> CampaignRecord:
        """A new creation; ``status`` other than CREATING only for fixtures and benchmarks.

        ``slack_channel``/``slack_ts``: the message that shows it, written in the same insert, so
        a process killed right after it still leaves a row that says where it belongs.
        """
        with self._sessions() as session:
            row = CampaignRow(
                account_key=account_key,
                ad_account_id=ad_account_id,
                name=name,
                spec=spec,
                status=status,
                requested_by=requested_by,
                source=source,
                start_time=start_time,
                slack_channel=slack_channel,
                slack_ts=slack_ts,
            )
            session.add(row)
            session.commit()
            return campaign_record(row)

    @_retried
    def get(self, campaign_id: int) -> CampaignRecord | None:
        with self._engine.connect() as connection:
            return _record(connection, _campaign_row(connection, campaign_id))

    @_retried
    def get_many(self, campaign_ids: Iterable[int]) -> dict[int, CampaignRecord]:
        """The rows of these ids that exist, with their objects, in one read (a burst's)."""
        ids = list(campaign_ids)
        if not ids:
            return {}
        with self._sessions() as session:
            rows = list(session.scalars(select(CampaignRow).where(CampaignRow.id.in_(ids))))
            return {record.id: record for record in _records(session, rows)}

    def _change(self, campaign_id: int, **values: Any) -> CampaignRecord:
        with self._engine.begin() as connection:
            if "status" in values:
                row = _campaign_row(connection, campaign_id)
                if row is None:
                    raise KeyError(campaign_id)
                check_transition([row.status], values["status"])
            result: Any = connection.execute(
                _UPDATE_CAMPAIGN, {**values, "updated_at": utcnow(), "target_id": campaign_id}
            )
            if result.rowcount != 1:
                raise KeyError(campaign_id)
            record = _record(connection, _campaign_row(connection, campaign_id))
            assert record is not None
            return record

    @_retried
    def set_spec(self, campaign_id: int, spec: dict[str, Any]) -> CampaignRecord:
        return self._change(campaign_id, spec=spec)

    @_retried
    def set_status(
        self,
        campaign_id: int,
        status: Status,
        *,
        error: str | None,
        step: Step | Keep | None = KEEP,
        last_sync: dict[str, Any] | Keep | None = KEEP,
    ) -> CampaignRecord:
        """Move to ``status`` (checked against the transition table), with its ``error`` line."""
        return self._change(
            campaign_id, **_kept(status=status, error=error, step=step, last_sync=last_sync)
        )

    @_retried
    def set_step(self, campaign_id: int, step: Step | None) -> None:
        with self._engine.begin() as connection:
            result: Any = connection.execute(
                _UPDATE_CAMPAIGN, {"step": step, "updated_at": utcnow(), "target_id": campaign_id}
            )
            if result.rowcount != 1:
                raise KeyError(campaign_id)

    @_retried
    def set_last_sync(
        self, campaign_id: int, last_sync: dict[str, Any] | None, *, if_status: str | None = None
    ) -> bool:
        """Store Meta's state as last read; with ``if_status``, only while the row is in it."""
        conditions = [CampaignRow.id == campaign_id]
        if if_status is not None:
            conditions.append(CampaignRow.status == if_status)
        with self._sessions() as session:
            result: Any = session.execute(
                update(CampaignRow)
                .where(*conditions)
                .values(last_sync=last_sync, updated_at=utcnow())
            )
            session.commit()
            return bool(result.rowcount == 1)

    @_retried
    def set_slack_message(self, campaign_id: int, *, channel: str, ts: str) -> CampaignRecord:
        """The Slack message that shows this campaign from now on."""
        return self._change(campaign_id, slack_channel=channel, slack_ts=ts)

    @_retried
    def transition(
        self,
        campaign_id: int,
        *,
        from_statuses: Iterable[str],
        to_status: Status,
        held_by: str | None = None,
        unleased_before: datetime | None = None,
        alert: NewAlert | None = None,
        activate_at: datetime | Keep | None = KEEP,
        activated_at: datetime | Keep | None = KEEP,
        approved_by: str | Keep | None = KEEP,
        claimed_by: str | Keep | None = KEEP,
        error: str | Keep | None = KEEP,
        last_sync: dict[str, Any] | Keep | None = KEEP,
        audit: NewAudit | None = None,
    ) -> bool:
        """Atomically move a row between statuses; False when another actor got there first.

        This compare-and-set is what makes activation exactly-once across replicas: only the
        process whose UPDATE matched the old status goes on to call Meta. ``held_by`` also
        requires ``claimed_by`` to name that holder (a claim taken over is no longer ours);
        ``unleased_before`` requires nobody to hold the row, or its holder's heartbeat to have
        stopped before then (an edit holds the row while it changes the campaign in Meta).
        ``alert`` is queued in the same transaction, once per dedupe key, so a crash can never
        leave the row moved and its alert unqueued. Every ``from -> to`` must be in the
        transition table (``IllegalTransitionError`` otherwise, before anything is written).
        """
        return self.transition_many(
            [
                Transition(
                    campaign_id,
                    tuple(str(status) for status in from_statuses),
                    to_status,
                    held_by=held_by,
                    unleased_before=unleased_before,
                    alert=alert,
                    activate_at=activate_at,
                    activated_at=activated_at,
                    approved_by=approved_by,
                    claimed_by=claimed_by,
                    error=error,
                    last_sync=last_sync,
                    audit=audit,
                )
            ]
        )[0]

    @_retried
    def transition_many(self, moves: Iterable[Transition]) -> list[bool]:
        """``transition`` for many rows in ONE transaction: which of them moved, in order.

        A burst's status moves at its start (500 "is live" rows with their alerts and audits)
        took one SQLite transaction each, 500 commits in a row on the file the scheduler's job
        table shares; one commit per chunk keeps each move's compare-and-set and its alert and
        audit together, and a crash loses either the whole chunk's moves or none (the next scan
        reads those campaigns again). Every move is checked against the transition table before
        anything is written.
        """
        moves = list(moves)
        for move in moves:
            check_transition(move.from_statuses, move.to_status)
        if not moves:
            return []
        with self._sessions() as session:
            moved = [self._transition(session, move) for move in moves]
            session.commit()
            return moved

    @staticmethod
    def _transition(session: Session, move: Transition) -> bool:
        conditions = [
            CampaignRow.id == move.campaign_id,
            CampaignRow.status.in_(move.from_statuses),
        ]
        if move.held_by is not None:
            conditions.append(CampaignRow.claimed_by == move.held_by)
        if move.unleased_before is not None:
            conditions.append(
                or_(CampaignRow.claimed_by.is_(None), CampaignRow.updated_at < move.unleased_before)
            )
        fields = _kept(
            activate_at=move.activate_at,
            activated_at=move.activated_at,
            approved_by=move.approved_by,
            claimed_by=move.claimed_by,
            error=move.error,
            last_sync=move.last_sync,
        )
        result: Any = session.execute(
            update(CampaignRow)
            .where(*conditions)
            .values(status=move.to_status, updated_at=utcnow(), **fields)
        )
        moved = bool(result.rowcount == 1)
        alert = move.alert
        if moved and alert is not None:
            queued = session.scalars(
                select(Alert.id).where(Alert.dedupe_key == alert.dedupe_key)
            ).first()
            if queued is None:
                session.add(
                    Alert(
                        kind=alert.kind,
                        dedupe_key=alert.dedupe_key,
                        payload=alert.payload,
                        campaign_id=alert.campaign_id,
                    )
                )
        audit = move.audit
        if moved and audit is not None:  # one transaction: no second session for the audit
            session.add(
                AuditEvent(
                    actor=audit.actor,
                    action=audit.action,
                    outcome=audit.outcome,
                    campaign_id=move.campaign_id,
                    detail=audit.detail,
                )
            )
        return moved

    @_retried
    def claim_many(
        self,
        campaign_ids: Iterable[int],
        *,
        from_status: Status,
        to_status: Status,
        holder: str,
        unleased_before: datetime | None = None,
    ) -> list[int]:
        """Claim every row still in ``from_status`` for ``holder`` in one transaction.

        The same compare-and-set as ``transition`` for many rows at once (a burst's claims in
        one round trip): returns the ids this holder got; another replica's are not among them.
        """
        ids = list(campaign_ids)
        check_transition([from_status], to_status)
        if not ids:
            return []
        with self._sessions() as session:
            session.execute(
                update(CampaignRow)
                .where(
                    CampaignRow.id.in_(ids),
                    CampaignRow.status == from_status,
                    # as ``transition``'s ``unleased_before``: nobody else holds the row
                    or_(CampaignRow.claimed_by.is_(None), CampaignRow.updated_at < unleased_before)
                    if unleased_before is not None
                    else true(),
                )
                .values(status=to_status, claimed_by=holder, updated_at=utcnow())
            )
            won = session.scalars(
                select(CampaignRow.id).where(
                    CampaignRow.id.in_(ids),
                    CampaignRow.status == to_status,
                    CampaignRow.claimed_by == holder,
                )
            )
            claimed = sorted(won)
            session.commit()
            return claimed

    # Meta objects ------------------------------------------------------------------------
    def _object(
        self, session: Session, campaign_id: int, ref: ObjectRef, *, create: bool
    ) -> MetaObjectRow | None:
        row = session.scalars(
            select(MetaObjectRow).where(
                MetaObjectRow.campaign_id == campaign_id,
                MetaObjectRow.kind == ref.kind,
                MetaObjectRow.key == ref.key,
            )
        ).first()
        if row is None and create:
            if session.get(CampaignRow, campaign_id) is None:
                raise KeyError(campaign_id)
            row = MetaObjectRow(
                campaign_id=campaign_id,
                kind=ref.kind,
                key=ref.key,
                status=ObjectStatus.PLANNED,
                pending=False,
            )
            session.add(row)
        return row

    def _write_object(
        self,
        campaign_id: int,
        ref: ObjectRef,
        *,
        create: bool = True,
        parent: ObjectRef | None = None,
        uses: ObjectRef | None = None,
        campaign_step: Step | Keep | None = KEEP,
        **values: Any,
    ) -> MetaObject | None:
        """Set ``values`` on one object row (created when missing) and show the campaign alive,
        in one transaction; ``parent``/``uses`` link it to those objects when they exist;
        ``campaign_step`` is written on the campaign's row in the same commit."""
        campaign = _kept(step=campaign_step)
        try:
            with self._engine.begin() as connection:
                return self._write_object_in(
                    connection, campaign_id, ref, create, parent, uses, values, campaign
                )
        except IntegrityError:  # another writer created the same (campaign, kind, key)
            with self._engine.begin() as connection:
                obj = self._write_object_in(
                    connection, campaign_id, ref, False, parent, uses, values, campaign
                )
                assert obj is not None
                return obj

    @staticmethod
    def _write_object_in(
        connection: Connection,
        campaign_id: int,
        ref: ObjectRef,
        create: bool,
        parent: ObjectRef | None,
        uses: ObjectRef | None,
        values: dict[str, Any],
        campaign: dict[str, Any],
    ) -> MetaObject | None:
        for column, linked in (("parent_id", parent), ("uses_id", uses)):
            row = _object_row(connection, campaign_id, linked) if linked is not None else None
            if row is not None:  # a link is a record, never a reason to fail
                values = {**values, column: row.id}
        now = utcnow()
        row = _object_row(connection, campaign_id, ref)
        if row is not None:
            connection.execute(_UPDATE_OBJECT, {**values, "updated_at": now, "target_id": row.id})
        elif not create:
            return None
        elif _campaign_row(connection, campaign_id) is None:
            raise KeyError(campaign_id)
        else:
            connection.execute(
                _INSERT_OBJECT,
                {
                    "campaign_id": campaign_id,
                    "kind": str(ref.kind),
                    "key": ref.key,
                    "status": ObjectStatus.PLANNED,
                    "pending": False,
                    "created_at": now,
                    **values,
                    "updated_at": now,
                },
            )
        # Same as when the ids were columns: writing one is a sign of life for the lease.
        connection.execute(
            _UPDATE_CAMPAIGN, {**campaign, "updated_at": now, "target_id": campaign_id}
        )
        written = _object_row(connection, campaign_id, ref)
        assert written is not None
        return meta_object(written)

    @_retried
    def mark_pending(
        self, campaign_id: int, ref: ObjectRef, *, step: Step, pending: bool = True
    ) -> None:
        """Before a create goes out (``pending=True``), or to withdraw the marker (False)."""
        self._write_object(campaign_id, ref, step=step, pending=pending)

    @_retried
    def begin_step(self, campaign_id: int, ref: ObjectRef, *, step: Step) -> None:
        """The campaign's step and ``ref``'s pending marker in one commit: every create step
        wrote both, one after the other, and each commit waits its turn for SQLite's lock."""
        self._write_object(campaign_id, ref, campaign_step=step, step=step, pending=True)

    @_retried
    def record_meta_object(
        self,
        campaign_id: int,
        ref: ObjectRef,
        meta_id: str,
        *,
        step: Step | None = None,
        name: str | None = None,
        parent: ObjectRef | None = None,
        uses: ObjectRef | None = None,
    ) -> MetaObject:
        """Meta's id for ``ref``, in one commit with its pending marker withdrawn.

        A finished object needs no upload session any more, so that goes too.
        """
        values: dict[str, Any] = {
            "meta_id": meta_id,
            "status": ObjectStatus.CREATED,
            "pending": False,
            "upload_session": None,
        }
        if step is not None:
            values["step"] = step
        if name:
            values["name"] = name
        obj = self._write_object(campaign_id, ref, parent=parent, uses=uses, **values)
        assert obj is not None
        return obj

    @_retried
    def set_upload_session(
        self, campaign_id: int, ref: ObjectRef, *, meta_id: str | None, session: dict | None
    ) -> None:
        """A resumable upload's session (and the video id Meta gave it), or None to drop it."""
        self._write_object(campaign_id, ref, meta_id=meta_id, upload_session=session)

    @_retried
    def set_thumbnail(self, campaign_id: int, ref: ObjectRef, url: str) -> None:
        self._write_object(campaign_id, ref, thumbnail_url=url)

    @_retried
    def swap_in(
        self, campaign_id: int, user: ObjectRef, new: ObjectRef, meta_id: str, *, step: Step
    ) -> MetaObject:
        """A new object takes over from the one ``user`` uses (an ad gets a new creative), in
        one commit: ``new`` is recorded, ``user`` uses it, and the one it replaces stays as
        ``replaced`` (Meta keeps it). Idempotent: swapping the same one in again changes nothing.
        """
        with self._sessions() as session:
            holder = self._object(session, campaign_id, user, create=False)
            if holder is None:
                raise KeyError(f"campaign #{campaign_id} has no {user.kind} {user.key!r}")
            old = session.get(MetaObjectRow, holder.uses_id) if holder.uses_id else None
            if old is None:
                old = self._object(session, campaign_id, ObjectRef(new.kind), create=False)
            row = self._object(session, campaign_id, new, create=True)
            assert row is not None
            row.meta_id, row.status, row.step, row.pending = (
                meta_id,
                ObjectStatus.CREATED,
                step,
                False,
            )
            if old is not None and old is not row:
                row.uses_id = row.uses_id or old.uses_id  # a creative keeps showing the same video
                old.status = ObjectStatus.REPLACED
            session.flush()
            holder.uses_id = row.id
            session.execute(
                update(CampaignRow).where(CampaignRow.id == campaign_id).values(updated_at=utcnow())
            )
            session.commit()
            return meta_object(row)

    @_retried
    def mark_deleted(self, campaign_id: int, ref: ObjectRef) -> None:
        """Meta no longer has it (a rollback deleted it); the row stays as a record."""
        self._write_object(
            campaign_id,
            ref,
            create=False,
            status=ObjectStatus.DELETED,
            pending=False,
            upload_session=None,
        )

    @_retried
    def mark_rejecting(self, campaign_id: int, ref: ObjectRef, *, by: str) -> None:
        """An approver rejected this one ad: said (committed) before its deletion in Meta, so a
        crash in between leaves it never switched on, and the next click finishes the job."""
        with self._sessions() as session:
            row = self._object(session, campaign_id, ref, create=False)
            details = dict(row.details or {}) if row is not None else {}
        self._write_object(campaign_id, ref, create=False, details={**details, REJECTED_BY: by})

    @_retried
    def mark_rejected(self, campaign_id: int, ref: ObjectRef) -> None:
        """Deleted in Meta because an approver rejected its ad; the row stays as a record."""
        self._write_object(
            campaign_id, ref, create=False, status=ObjectStatus.REJECTED, pending=False
        )

    @_retried
    def clear_pending(self, campaign_id: int) -> None:
        """Withdraw every pending marker of a campaign (it was rolled back)."""
        with self._sessions() as session:
            session.execute(
                update(MetaObjectRow)
                .where(MetaObjectRow.campaign_id == campaign_id, MetaObjectRow.pending.is_(True))
                .values(pending=False, updated_at=utcnow())
            )
            session.commit()

    # videos shared by content ---------------------------------------------------------------
    @_retried
    def claim_shared_video(
        self, *, ad_account_id: str, sha256: str, campaign_id: int
    ) -> SharedVideo:
        """The claim on these bytes in this account: a new one owned by ``campaign_id``, or the
        one that exists (whoever owns it). The unique row decides between simultaneous callers."""
        with self._sessions() as session:
            where = (SharedVideoRow.ad_account_id == ad_account_id, SharedVideoRow.sha256 == sha256)
            row = session.scalars(select(SharedVideoRow).where(*where)).first()
            if row is None:
                row = SharedVideoRow(
                    ad_account_id=ad_account_id, sha256=sha256, owner_campaign_id=campaign_id
                )
                session.add(row)
                try:
                    session.commit()
                except IntegrityError:  # another campaign claimed it in between: theirs
                    session.rollback()
                    row = session.scalars(select(SharedVideoRow).where(*where)).one()
            return _shared_video(row)

    @_retried
    def take_over_shared_video(
        self, *, ad_account_id: str, sha256: str, expected_owner: int, campaign_id: int
    ) -> bool:
        """Compare-and-set the owner of an unfinished upload (its owner gave up or died)."""
        with self._sessions() as session:
            result: Any = session.execute(
                update(SharedVideoRow)
                .where(
                    SharedVideoRow.ad_account_id == ad_account_id,
                    SharedVideoRow.sha256 == sha256,
                    SharedVideoRow.owner_campaign_id == expected_owner,
                    SharedVideoRow.meta_id.is_(None),
                )
                .values(owner_campaign_id=campaign_id, updated_at=utcnow())
            )
            session.commit()
            return bool(result.rowcount == 1)

    @_retried
    def shared_video_uploaded(
        self, *, ad_account_id: str, sha256: str, campaign_id: int, meta_id: str
    ) -> None:
        """The owner's upload finished: every campaign waiting for these bytes may use it now.
        Idempotent; a claim that is gone (dropped by a rollback) is made again, owned and done."""
        with self._sessions() as session:
            row = _shared_row(session, ad_account_id, sha256)
            if row is None:
                session.add(
                    SharedVideoRow(
                        ad_account_id=ad_account_id,
                        sha256=sha256,
                        owner_campaign_id=campaign_id,
                        meta_id=meta_id,
                    )
                )
            elif row.owner_campaign_id == campaign_id and row.meta_id is None:
                row.meta_id = meta_id
            try:
                session.commit()
            except IntegrityError:  # claimed by another in between: theirs stands
                session.rollback()

    @_retried
    def join_shared_video(
        self,
        campaign_id: int,
        ref: ObjectRef,
        *,
        ad_account_id: str,
        sha256: str,
        step: Step,
        name: str | None,
    ) -> str | None:
        """Record the account's uploaded copy of these bytes as this campaign's video ``ref``, in
        the same transaction that reads it, so a rollback deleting it cannot slip in between;
        None while nobody has finished uploading them."""
        with self._sessions() as session:
            shared = _shared_row(session, ad_account_id, sha256)
            if shared is None or shared.meta_id is None:
                return None
            row = self._object(session, campaign_id, ref, create=True)
            assert row is not None
            row.meta_id, row.status, row.step, row.pending = (
                shared.meta_id,
                ObjectStatus.CREATED,
                step,
                False,
            )
            row.upload_session = None
            row.name = name or row.name
            row.details = {**(row.details or {}), "sha256": sha256, "shared": True}
            session.commit()
            return shared.meta_id

    @_retried
    def release_video(self, campaign_id: int, ref: ObjectRef, *, meta_id: str) -> bool:
        """A rollback lets go of its video: True when no other campaign uses it (the caller then
        deletes it in Meta, and the claim on its bytes goes, so the next campaign uploads anew);
        False when another campaign's ads use it, and this campaign's row is only ``released``."""
        with self._sessions() as session:
            session.scalars(
                select(SharedVideoRow).where(SharedVideoRow.meta_id == meta_id).with_for_update()
            ).all()
            others = session.scalar(
                select(func.count())
                .select_from(MetaObjectRow)
                .where(
                    MetaObjectRow.meta_id == meta_id,
                    MetaObjectRow.kind == ObjectKind.VIDEO,
                    MetaObjectRow.campaign_id != campaign_id,
                    MetaObjectRow.status.in_((ObjectStatus.PLANNED, ObjectStatus.CREATED)),
                )
            )
            if others:
                row = self._object(session, campaign_id, ref, create=False)
                if row is not None:
                    row.status, row.pending, row.upload_session = ObjectStatus.RELEASED, False, None
                session.commit()
                return False
            session.execute(delete(SharedVideoRow).where(SharedVideoRow.meta_id == meta_id))
            session.commit()
            return True

    @_retried
    def shared_video_sha256(self, *, ad_account_id: str, meta_id: str) -> str | None:
        """The content hash of an uploaded video of this account (a duplicate reuses it)."""
        with self._sessions() as session:
            return session.scalar(
                select(SharedVideoRow.sha256).where(
                    SharedVideoRow.ad_account_id == ad_account_id,
                    SharedVideoRow.meta_id == meta_id,
                )
            )

    @_retried
    def drop_shared_claims(self, campaign_id: int) -> None:
        """Unfinished uploads this campaign owned are nobody's now (it was rolled back)."""
        with self._sessions() as session:
            session.execute(
                delete(SharedVideoRow).where(
                    SharedVideoRow.owner_campaign_id == campaign_id,
                    SharedVideoRow.meta_id.is_(None),
                )
            )
            session.commit()

    # leases ------------------------------------------------------------------------------
    def touch_held(self, campaign_ids: Iterable[int], *, holder: str) -> int:
        """A lease heartbeat; see ``storage.leasing.touch_held``."""
        return leasing.touch_held(self._sessions, CampaignRow, campaign_ids, holder=holder)

    def take_over_claim(
        self,
        campaign_id: int,
        *,
        status: str,
        expected_owner: str | None,
        idle_before: datetime,
        new_owner: str,
    ) -> bool:
        """Compare-and-set the holder of a claim left by a dead worker.

        Matches only while the row is still in ``status``, still names ``expected_owner`` and
        has not been touched since ``idle_before``: a heartbeat landing first keeps the claim
        with its holder, and of two takers only one wins.
        """
        owner = CampaignRow.claimed_by
        with self._sessions() as session:
            result = session.execute(
                update(CampaignRow)
                .where(
                    CampaignRow.id == campaign_id,
                    CampaignRow.status == status,
                    owner.is_(None) if expected_owner is None else owner == expected_owner,
                    CampaignRow.updated_at < idle_before,
                )
                .values(claimed_by=new_owner, updated_at=utcnow())
            )
            session.commit()
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    @_retried
    def touch(self, campaign_id: int) -> None:
        """Show that a creation is alive (its lease heartbeat) without changing anything else."""
        with self._engine.begin() as connection:
            connection.execute(_UPDATE_CAMPAIGN, {"updated_at": utcnow(), "target_id": campaign_id})

    @_retried
    def take_lease(
        self, campaign_id: int, *, expected_owner: str | None, new_owner: str | None
    ) -> bool:
        """Compare-and-set ``claimed_by``; see ``storage.leasing.take_lease``."""
        return leasing.take_lease(
            self._sessions,
            CampaignRow,
            campaign_id,
            expected_owner=expected_owner,
            new_owner=new_owner,
        )

    @_retried
    def find_open(self, *, ad_account_id: str, name: str) -> CampaignRecord | None:
        """The newest creation for this account and name that has not been rolled back."""
        with self._sessions() as session:
            row = session.scalars(
                select(CampaignRow)
                .where(
                    CampaignRow.ad_account_id == ad_account_id,
                    CampaignRow.name == name,
                    CampaignRow.status.not_in(["rolled_back", "rejected"]),
                )
                .order_by(CampaignRow.id.desc())
            ).first()
            return _record(session, row)

    @_retried
    def find(self, ref: str) -> CampaignRecord | None:
        """Look a campaign up the way users name it: AdBee id, Meta campaign id or exact name."""
        with self._sessions() as session:
            if ref.isdigit():
                row = session.get(CampaignRow, int(ref)) if len(ref) < 10 else None
                if row is None:
                    row = session.scalars(
                        select(CampaignRow)
                        .join(MetaObjectRow, MetaObjectRow.campaign_id == CampaignRow.id)
                        .where(
                            MetaObjectRow.kind == ObjectKind.CAMPAIGN,
                            MetaObjectRow.meta_id == ref,
                        )
                    ).first()
                if row is not None:
                    return _record(session, row)
            return _record(
                session,
                session.scalars(
                    select(CampaignRow)
                    .where(func.lower(CampaignRow.name) == ref.lower())
                    .order_by(CampaignRow.id.desc())
                ).first(),
            )

    @_retried
    def list_campaigns(
        self,
        *,
        account_key: str | None = None,
        statuses: Iterable[str] | None = None,
        limit: int | None = 20,
    ) -> list[CampaignRecord]:
        """Newest first; ``limit=None`` for all of them (jobs that must not miss old rows)."""
        query = select(_CAMPAIGNS).order_by(_CAMPAIGNS.c.id.desc()).limit(limit)
        if account_key:
            query = query.where(_CAMPAIGNS.c.account_key == account_key)
        if statuses is not None:
            query = query.where(_CAMPAIGNS.c.status.in_(list(statuses)))
        with self._engine.connect() as connection:
            return _records(connection, connection.execute(query).all())

    @_retried
    def list_due(self, *, now: datetime, status: str = "scheduled") -> list[CampaignRecord]:
        with self._sessions() as session:
            rows = session.scalars(
                select(CampaignRow)
                .where(CampaignRow.status == status, CampaignRow.activate_at <= now)
                .order_by(CampaignRow.activate_at)
            )
            return _records(session, list(rows))

    # audit -------------------------------------------------------------------------------
    @_retried
    def audit(
        self,
        *,
        actor: str,
        action: str,
        outcome: str,
        campaign_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        with self._sessions() as session:
            session.add(
                AuditEvent(
                    actor=actor,
                    action=action,
                    outcome=outcome,
                    campaign_id=campaign_id,
                    detail=detail,
                )
            )
            session.commit()

    @_retried
    def audit_events(self, *, campaign_id: int | None = None) -> list[AuditRecord]:
        with self._sessions() as session:
            query = select(AuditEvent).order_by(AuditEvent.id)
            if campaign_id is not None:
                query = query.where(AuditEvent.campaign_id == campaign_id)
            return [audit_record(row) for row in session.scalars(query)]

    # alert outbox ------------------------------------------------------------------------
    @_retried
    def enqueue_alert(
        self, *, kind: str, dedupe_key: str, payload: dict, campaign_id: int | None = None
    ) -> bool:
        """Queue an alert once per dedupe key; False when the same alert was queued before."""
        with self._sessions() as session:
            session.add(
                Alert(kind=kind, dedupe_key=dedupe_key, payload=payload, campaign_id=campaign_id)
            )
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
            return True

    @_retried
    def pending_alerts(self, *, limit: int = 50) -> list[AlertRecord]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Alert).where(Alert.status == "pending").order_by(Alert.id).limit(limit)
            )
            return [alert_record(row) for row in rows]

    @_retried
    def pending_alert(self, dedupe_key: str) -> AlertRecord | None:
        with self._sessions() as session:
            row = session.scalars(
                select(Alert).where(Alert.dedupe_key == dedupe_key, Alert.status == "pending")
            ).first()
            return alert_record(row) if row is not None else None

    @_retried
    def count_pending_alerts(self) -> int:
        """Alerts waiting to be delivered: the outbox depth that metrics and health report."""
        with self._sessions() as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(Alert).where(Alert.status == "pending")
                )
                or 0
            )

    def claim_alert(self, alert_id: int, *, holder: str | None = None) -> bool:
        """Take one pending alert for sending, so two replicas never post it twice."""
        with self._sessions() as session:
            result = session.execute(_claim_pending_alert(alert_id, holder))
            session.commit()
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    @_retried
    def finish_alert(self, alert_id: int, *, error: str | None = None) -> None:
        with self._sessions() as session:
            values: dict[str, Any] = (
                {"status": "sent", "sent_at": utcnow(), "last_error": None}
                if error is None
                else {"status": "pending", "last_error": error}
            )
            session.execute(
                update(Alert).where(Alert.id == alert_id).values(**values, claimed_by=None)
            )
            session.commit()

    @_retried
    def release_alert(self, alert_id: int, *, holder: str, error: str) -> bool:
        """Put an alert ``holder`` was sending back to pending, unless it moved on since."""
        with self._sessions() as session:
            result = session.execute(
                update(Alert)
                .where(Alert.id == alert_id, Alert.status == "sending", Alert.claimed_by == holder)
                .values(status="pending", last_error=error, claimed_by=None)
            )
            session.commit()
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    @_retried
    def sending_alerts(self) -> list[AlertRecord]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Alert).where(Alert.status == "sending").order_by(Alert.id)
            )
            return [alert_record(row) for row in rows]

    @_retried
    def claim_alerts(self, alert_ids: Iterable[int], *, holder: str | None = None) -> list[int]:
        """``claim_alert`` for a burst's alerts in one transaction: the ids this caller got."""
        ids = list(alert_ids)
        if not ids:
            return []
        with self._sessions() as session:
            # One compare-and-set per alert, all in one commit: the UPDATE's own row count says
            # which are this caller's (a SELECT first would let two flushes both take an alert
            # the other's UPDATE moved in between, and announce it twice).
            claimed = [
                alert_id
                for alert_id in ids
                if session.execute(_claim_pending_alert(alert_id, holder)).rowcount  # type: ignore[attr-defined]
                == 1
            ]
            session.commit()
            return claimed

    @_retried
    def finish_alerts(self, alert_ids: Iterable[int], *, error: str | None = None) -> None:
        """``finish_alert`` for many alerts in one transaction (a burst summary's)."""
        ids = list(alert_ids)
        if not ids:
            return
        with self._sessions() as session:
            values: dict[str, Any] = (
                {"status": "sent", "sent_at": utcnow(), "last_error": None}
                if error is None
                else {"status": "pending", "last_error": error}
            )
            session.execute(
                update(Alert).where(Alert.id.in_(ids)).values(**values, claimed_by=None)
            )
            session.commit()

    @_retried
    def alerts(self) -> list[AlertRecord]:
        with self._sessions() as session:
            return [alert_record(row) for row in session.scalars(select(Alert).order_by(Alert.id))]

    # de-duplication ----------------------------------------------------------------------
    @_retried
    def remember_request(self, key: str) -> bool:
        """Record a Slack request key; False when it was seen before (a redelivery)."""
        with self._sessions() as session:
            session.add(ProcessedRequest(key=key))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
            return True

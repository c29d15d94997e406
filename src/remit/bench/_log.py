"""``remit bench log``: appends to the stored log, inclusion proofs, and a consistency chain.

Three figures, each measured as a verifier or a node meets it:

1. **appends/s**: real order entries (a demand received, then approved: canonical JSON, keyed
   target hashes) appended by :meth:`TransparencyLog.log_orders` to a SQLite file, in the
   batches of 1,000 the node uses when it catches up, including the in-memory tree update. One
   append per transaction (as a single order change makes) is measured too.
2. **inclusion proof**: proofs from an in-memory :class:`MerkleTree` of ``entries`` leaf hashes
   (10 million by default: about 20 s and 2 GiB to build), each timed alone, then verified.
3. **consistency chain**: the checkpoints a verifier polling every ``checkpoint_every`` entries
   would see over ``chain_entries`` entries: each signature verified and each consistency proof
   against the previous checkpoint verified.
"""

from __future__ import annotations

import gc
import hashlib
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from remit import orders
from remit.bench._decide import machine
from remit.orders import Authority, AuthorityKind, Order, OrderType, Request, RequestedAction
from remit.policy import Target
from remit.store import log_store_for, open_store, upgrade
from remit.transparency import (
    Checkpoint,
    MerkleTree,
    Signer,
    TransparencyLog,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)

ORIGIN = "bench.remit.example/log"


@dataclass(frozen=True)
class LogBenchResult:
    machine: str
    append_entries: int
    append_batch: int
    append_entry_bytes: int
    appends_per_s: float
    single_appends: int
    single_appends_per_s: float
    proof_entries: int
    tree_build_s: float
    proofs: int
    inclusion_proof_mean_us: float
    inclusion_proof_p99_us: float
    inclusion_proof_max_us: float
    inclusion_verify_mean_us: float
    chain_entries: int
    checkpoint_every: int
    chain_checkpoints: int
    chain_prepare_s: float
    chain_verify_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _orders(count: int) -> list[Order]:
    """``count`` approved orders, each with two transitions (received, approved)."""
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    template = orders.record(
        id="ord_template",
        type=OrderType.GOVERNMENT_REQUEST,
        authority=Authority("Ministry of Public Security", AuthorityKind.MINISTRY, "CN"),
        legal_basis="Cybersecurity Law art. 12",
        case_id="2020-0604",
        received_at=t0,
        request=Request("Delete the meetings.", (RequestedAction.DELETE_MEETING,), ("*",)),
        targets=[Target("meeting", "june4-a"), Target("host", "host-us-1")],
        actor="intake",
        now=t0,
    )
    approved = orders.approve(
        template, actor="reviewer", now=t0 + timedelta(hours=5), justification="lawful"
    )
    return [replace(approved, id=f"ord_{n:09d}") for n in range(count)]


def _appends(
    entries: int, batch: int, singles: int, progress: Callable[[str], None]
) -> tuple[float, int, float]:
    with tempfile.TemporaryDirectory(prefix="remit-bench-log-") as folder:
        url = f"sqlite:///{Path(folder) / 'log.sqlite3'}"
        upgrade(url)
        store = open_store(url)
        try:
            signer = Signer.generate(ORIGIN)
            log = TransparencyLog(log_store_for(store), signer, origin=ORIGIN, secret=b"k" * 32)
            log.open()
            work = _orders(max(1, entries // 2))
            progress(f"appending {len(work) * 2:,} entries in batches of {batch:,} ...")
            started = time.perf_counter()
            for start in range(0, len(work), max(1, batch // 2)):
                log.log_orders(work[start : start + max(1, batch // 2)])
            bulk = log.size / (time.perf_counter() - started)
            size = len(b"".join(log.entries(0, 2))) // 2
            progress(f"appending {singles:,} entries one per transaction ...")
            extra = _orders(singles)
            started = time.perf_counter()
            for n, order in enumerate(extra):
                log.log_orders(
                    [replace(order, id=f"one_{n:09d}", transitions=order.transitions[:1])]
                )
            single = singles / (time.perf_counter() - started) if singles else 0.0
            log.checkpoint()
        finally:
            store.close()
    return bulk, size, single


def _percentile(values: list[int], share: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(share * len(ordered)))]) if ordered else 0.0


def _leaf(n: int) -> bytes:
    return hashlib.sha256(b"\x00" + n.to_bytes(8, "big")).digest()


def _tree(entries: int, progress: Callable[[str], None]) -> tuple[MerkleTree, float]:
    progress(f"building a tree of {entries:,} leaves ...")
    started = time.perf_counter()
    tree = MerkleTree()
    append = tree.append_leaf_hash
    for n in range(entries):
        append(_leaf(n))
    return tree, time.perf_counter() - started


def run_log(
    *,
    entries: int = 20_000,
    batch: int = 1000,
    singles: int = 500,
    proof_entries: int = 10_000_000,
    proofs: int = 1000,
    chain_entries: int = 1_000_000,
    checkpoint_every: int = 1000,
    progress: Callable[[str], None] = lambda line: None,
) -> LogBenchResult:
    """Run the three measurements; sizes scale down for a smoke test."""
    appends_per_s, entry_bytes, single_per_s = _appends(entries, batch, singles, progress)

    tree, build_s = _tree(max(proof_entries, 1), progress)
    # A long-running node would do the same: its tree is never garbage, so keep the collector
    # from walking 20 million hashes in the middle of a proof.
    gc.collect()
    gc.freeze()
    size = tree.size
    root = tree.root()
    rng = random.Random(6962)
    picks = [rng.randrange(size) for _ in range(proofs)]
    tree.inclusion_proof(picks[0], size)  # warm up
    timings: list[int] = []
    checks: list[int] = []
    for index in picks:
        started = time.perf_counter_ns()
        proof = tree.inclusion_proof(index, size)
        timings.append(time.perf_counter_ns() - started)
        started = time.perf_counter_ns()
        verify_inclusion(_leaf(index), index, size, proof, root)
        checks.append(time.perf_counter_ns() - started)

    if chain_entries > size:
        del tree
        tree, _ = _tree(chain_entries, progress)
    progress(f"preparing {chain_entries // checkpoint_every:,} checkpoints and proofs ...")
    signer = Signer.generate(ORIGIN)
    prepared = time.perf_counter()
    chain: list[tuple[str, list[bytes]]] = []
    previous = 0
    for step in range(checkpoint_every, chain_entries + 1, checkpoint_every):
        note = signer.sign_note(Checkpoint(ORIGIN, step, tree.root(step)).to_text())
        chain.append((note, tree.consistency_proof(previous, step) if previous else []))
        previous = step
    prepare_s = time.perf_counter() - prepared
    del tree
    gc.unfreeze()
    gc.collect()

    progress("verifying the chain ...")
    verifier = signer.verifier()
    verifying = time.perf_counter()
    seen: Checkpoint | None = None
    for note, proof in chain:
        checkpoint = verify_checkpoint(note, verifier, origin=ORIGIN)
        if seen is not None:
            verify_consistency(
                seen.size, checkpoint.size, proof, seen.root_hash, checkpoint.root_hash
            )
        seen = checkpoint
    verify_s = time.perf_counter() - verifying

    return LogBenchResult(
        machine=machine(),
        append_entries=max(1, entries // 2) * 2,
        append_batch=batch,
        append_entry_bytes=entry_bytes,
        appends_per_s=round(appends_per_s, 1),
        single_appends=singles,
        single_appends_per_s=round(single_per_s, 1),
        proof_entries=size,
        tree_build_s=round(build_s, 3),
        proofs=proofs,
        inclusion_proof_mean_us=round(sum(timings) / max(1, len(timings)) / 1000, 2),
        inclusion_proof_p99_us=round(_percentile(timings, 0.99) / 1000, 2),
        inclusion_proof_max_us=round(max(timings, default=0) / 1000, 2),
        inclusion_verify_mean_us=round(sum(checks) / max(1, len(checks)) / 1000, 2),
        chain_entries=chain_entries,
        checkpoint_every=checkpoint_every,
        chain_checkpoints=len(chain),
        chain_prepare_s=round(prepare_s, 3),
        chain_verify_s=round(verify_s, 4),
    )

"""The medium hands a frame's receivers whose users' class has ``pd_data_indication_many``
(zigmesh.phy.PhyUserMany) over in one call per run, in the order of one-by-one delivery."""

from __future__ import annotations

from collections.abc import Sequence

from zigmesh.phy import RadioState
from zigmesh.sim.kernel import Kernel
from zigmesh.sim.medium import Medium, MediumConfig

NO_SHADOW = MediumConfig(shadowing_sigma_db=0.0)
FRAME = bytes(range(20))

LOG: list[tuple[str, list[str], list[tuple[int, int]], int]] = []


class One:
    """A user with only the one-receiver indication."""

    def __init__(self, name: str, kernel: Kernel) -> None:
        self.name = name
        self.kernel = kernel

    def pd_data_indication(
        self, psdu: bytes, rssi_dbm: int, lqi: int, timestamp: int | None = None
    ) -> None:
        assert psdu == FRAME and timestamp == self.kernel.now()
        LOG.append(("one", [self.name], [(rssi_dbm, lqi)], self.kernel.now()))

    def pd_tx_done(self) -> None:
        pass


class Many(One):
    """A user class that also takes runs of receivers in one call."""

    @staticmethod
    def pd_data_indication_many(
        users: Sequence[Many], qualities: Sequence[tuple[int, int]], psdu: bytes, timestamp: int
    ) -> None:
        assert psdu == FRAME
        LOG.append(("many", [u.name for u in users], list(qualities), timestamp))


def _run(kinds: str) -> list[tuple[str, list[str], list[tuple[int, int]], int]]:
    """A sender at the origin and one receiver per letter of ``kinds`` (m: Many, o: One, -:
    no user, s: asleep) on a line, 5 m apart; the log of the delivery of one frame."""
    LOG.clear()
    k = Kernel()
    m = Medium(k, seed=1, config=NO_SHADOW)
    tx = m.add_radio(0x00124B0000000100, (0.0, 0.0), state=RadioState.RX)
    for i, c in enumerate(kinds):
        state = RadioState.SLEEP if c == "s" else RadioState.RX
        r = m.add_radio(0x00124B0000000000 + i, (5.0 * (i + 1), 0.0), state=state)
        if c in "ms":
            r.set_user(Many(f"r{i}", k))
        elif c == "o":
            r.set_user(One(f"r{i}", k))
    tx.transmit(FRAME)
    k.run()
    return list(LOG)


def _flat(log: list[tuple[str, list[str], list[tuple[int, int]], int]]) -> list[object]:
    return [(n, q, t) for _, names, qs, t in log for n, q in zip(names, qs, strict=True)]


def test_runs_of_many_users_in_one_call_in_order() -> None:
    kinds = "mmom-mms"
    many = _run(kinds)
    one = _run(kinds.replace("m", "o").replace("s", "-"))
    # the same receivers, qualities and time as one by one, in the same order
    assert _flat(many) == _flat(one)
    assert all(kind == "one" for kind, *_ in one) and len(one) == 6
    # the receivers' order decides the runs: a One between Many users splits them
    names = [n for _, ns, _, _ in one for n in ns]
    runs: list[list[str]] = []
    prev = None
    for n in names:
        kind = kinds[int(n[1:])]
        if kind == "m" and prev == "m":
            runs[-1].append(n)
        else:
            runs.append([n])
        prev = kind
    assert [ns for _, ns, _, _ in many] == runs
    assert any(len(r) > 1 for r in runs)
    assert ["r7"] not in runs  # asleep: not a receiver


def test_counts_of_frames_indicated_are_per_radio() -> None:
    LOG.clear()
    k = Kernel()
    m = Medium(k, seed=1, config=NO_SHADOW)
    tx = m.add_radio(0x00124B0000000100, (0.0, 0.0), state=RadioState.RX)
    rs = [
        m.add_radio(0x00124B0000000000 + i, (5.0 * (i + 1), 0.0), state=RadioState.RX)
        for i in range(3)
    ]
    for i, r in enumerate(rs):
        r.set_user(Many(f"r{i}", k))
    rs[2].set_user(None)  # no user: still a reception of the radio
    tx.transmit(FRAME)
    k.run()
    assert [r.rx_frames for r in rs] == [1, 1, 1]
    assert [ns for _, ns, _, _ in LOG] == [["r0", "r1"]]


class Spy(Many):
    """Overrides only the one-receiver indication: its frames come that way, not in runs."""

    def pd_data_indication(
        self, psdu: bytes, rssi_dbm: int, lqi: int, timestamp: int | None = None
    ) -> None:
        LOG.append(("spy", [self.name], [(rssi_dbm, lqi)], self.kernel.now()))


def test_a_subclass_overriding_only_the_one_receiver_indication_gets_it() -> None:
    LOG.clear()
    k = Kernel()
    m = Medium(k, seed=1, config=NO_SHADOW)
    tx = m.add_radio(0x00124B0000000100, (0.0, 0.0), state=RadioState.RX)
    for i in range(3):
        r = m.add_radio(0x00124B0000000000 + i, (5.0 * (i + 1), 0.0), state=RadioState.RX)
        r.set_user(Spy(f"r{i}", k))
    tx.transmit(FRAME)
    k.run()
    assert sorted(ns[0] for kind, ns, _, _ in LOG if kind == "spy") == ["r0", "r1", "r2"]
    assert all(kind == "spy" for kind, *_ in LOG)

"""The distributed engine on one machine: LocalCluster(n_workers=2, threads_per_worker=1, processes=True).

Byte-identical outputs to the local pool; a worker killed mid-batch costs a retry, never an input; a file that
keeps killing workers ends as that input's 无法读取 with the reason, and the run goes on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xltools.merge import merge
from xltools.merge.distributed import LEAST, cluster_config, run_dask

from .conftest import County

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    import dask

    # the settings advised for a merge's cluster (xltools/merge/dask.yaml); one death of a task's worker is
    # forgiven (retried elsewhere), the second marks the task as killing workers. Set for the cluster's whole
    # life: a worker its nanny restarts takes the settings of that moment
    with dask.config.set({**cluster_config(), "distributed.scheduler.allowed-failures": 1}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        with cluster, distributed.Client(cluster) as c:
            yield c


class Killer(distributed.WorkerPlugin):
    """On every worker (restarted ones too): reading `victim` kills the worker process, always or only once
    (a marker file, shared because the cluster is on one machine)."""

    def __init__(self, victim: str, marker: str | None) -> None:
        self.victim, self.marker = victim, marker

    def setup(self, worker: Any) -> None:
        from xltools.merge import work

        self.original = work.prepare_bytes
        victim, marker, original = self.victim, self.marker, self.original

        def prepare_bytes(path: str, *args: Any, **kw: Any) -> Any:
            if os.path.basename(path) == victim and (marker is None or not os.path.exists(marker)):
                if marker is not None:
                    Path(marker).touch()
                os._exit(1)  # the worker process dies mid-batch
            return original(path, *args, **kw)

        work.prepare_bytes = prepare_bytes

    def teardown(self, worker: Any) -> None:
        from xltools.merge import work

        work.prepare_bytes = self.original


def _merge(county: County, tmp: Path, scheduler: Any) -> dict[str, bytes]:
    out, js, exp = tmp / "汇总.xlsx", tmp / "汇总.json", tmp / "export"
    merge([county.folder], out, roster=county.roster, json_path=js, export_dir=exp, scheduler=scheduler)
    return {"xlsx": out.read_bytes(), "json": js.read_bytes(), **{p.name: p.read_bytes() for p in exp.iterdir()}}


def _local(county: County) -> dict[str, bytes]:  # the session's merge, on the local pool
    exp = county.export_dir
    return {
        "xlsx": county.out.read_bytes(),
        "json": county.json_path.read_bytes(),
        **{p.name: p.read_bytes() for p in exp.iterdir()},
    }


def test_outputs_are_byte_identical_to_the_local_pool(county: County, client: Any, tmp_path: Path) -> None:
    assert _merge(county, tmp_path, client) == _local(county)


def _few(county: County) -> list[Path]:  # a worker's death and restart are slow: few files for the kill tests
    return sorted(county.folder.glob("dept0[0-5].xlsx"))


def test_a_worker_killed_mid_batch_costs_a_retry_never_an_input(county: County, client: Any, tmp_path: Path) -> None:
    local, remote = tmp_path / "local", tmp_path / "dask"
    local.mkdir()
    remote.mkdir()
    merge(_few(county), local / "汇总.xlsx", json_path=local / "汇总.json", jobs=1)
    marker = tmp_path / "killed-once"
    client.register_plugin(Killer("dept03.xlsx", str(marker)), name="killer-once")
    try:
        merge(_few(county), remote / "汇总.xlsx", json_path=remote / "汇总.json", scheduler=client)
    finally:
        client.unregister_worker_plugin("killer-once")
    assert marker.exists()  # a worker did die
    for name in ("汇总.xlsx", "汇总.json"):
        assert (remote / name).read_bytes() == (local / name).read_bytes()


@pytest.fixture
def watchdog() -> Iterator[None]:
    """A worker's restart that stalls must fail the test, not hang the suite: past the limit the test process
    prints every thread's stack and exits (pytest-xdist then reports the test as crashed)."""
    import faulthandler

    faulthandler.dump_traceback_later(240, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def test_a_file_that_keeps_killing_workers_is_unreadable_and_the_run_goes_on(
    county: County, client: Any, tmp_path: Path, watchdog: None
) -> None:
    # six deaths and restarts: the batch's two, dept03's own task's two, and two more when it runs alone
    client.register_plugin(Killer("dept03.xlsx", None), name="killer")
    try:
        r = merge(_few(county), tmp_path / "汇总.xlsx", scheduler=client)
    finally:
        client.unregister_worker_plugin("killer")
    st = {Path(e.path).name: e for e in r.inputs}
    assert st["dept03.xlsx"].status == "无法读取" and "意外退出" in st["dept03.xlsx"].reason
    assert "KilledWorker" in st["dept03.xlsx"].reason
    assert sorted(st) == [p.name for p in _few(county)]
    assert all(e.status == "已纳入" for n, e in st.items() if n != "dept03.xlsx")


def test_the_advised_settings_are_dask_keys_and_reach_the_workers(client: Any) -> None:
    import dask

    advised = cluster_config()
    assert advised["distributed.worker.profile.enabled"] is False
    assert advised["distributed.admin.tick.interval"] == "1s"
    defaults = dask.config.merge(*dask.config.defaults)  # Dask's own keys (the fixture has set the advised ones)
    for key in advised:  # a misspelt key would be silently ignored by Dask: each must be one of its own
        dask.config.get(key, config=defaults)
    client.wait_for_workers(2, timeout=60)  # a worker a kill test ended may still be restarting
    on_workers = client.run(lambda: {k: dask.config.get(k) for k in advised})
    assert list(on_workers.values()) == [advised, advised]


class Recording:
    """The fixture's client, noting the number of files of each task run_dask submits."""

    def __init__(self, client: Any) -> None:
        self.client, self.sizes = client, []

    def submit(self, fn: Any, items: list[Any], *args: Any, **kw: Any) -> Any:
        self.sizes.append(len(items))
        return self.client.submit(fn, items, *args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def test_batches_shrink_towards_the_end_so_no_worker_is_left_alone_with_a_long_one(county: County, client: Any) -> None:
    files = [str(p) for p in sorted(county.folder.glob("dept*.xlsx"))] * 10
    rec = Recording(client)
    got = [r for batch in run_dask(files, rec, False, batch=16) for r in batch]
    assert len(got) == len(files)
    assert rec.sizes[0] == 16 and sum(rec.sizes) == len(files)
    assert rec.sizes == sorted(rec.sizes, reverse=True)  # never larger than the one before
    assert all(n <= LEAST for n in rec.sizes[-4:])  # each worker's last batch, and the one before, are short

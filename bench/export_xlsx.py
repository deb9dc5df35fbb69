"""Benchmark of « Exporter la vue… » in XLSX at 100,000 rows (issue 13: ≤ 10 s).

- ``export_xlsx``: the whole export as the app runs it: the bannette's ids (its own query),
  the rows read from SQLite in batches, typed and written by openpyxl in write-only mode with
  French date formats, widths and a frozen header, to a temporary file renamed at the end;
- ``openpyxl_seul`` (the limit): openpyxl writing the same rows, already in memory, with
  plain ``append`` and no styling at all;
- for information, the CSV export of the same rows and the ODS export of 10,000 (odfpy
  builds the whole document in memory: it is the slow format, and says so here).

Prints JSON; not a test.

    python -m bench.export_xlsx [--requests 100000]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from bench.common import BENCH_TODAY, bench_database, discard_database, emit, machine
from desktop.exports.tables import BANNETTE_COLUMNS, bannette_ids, bannette_rows, bannette_table
from desktop.exports.writers import ExportFormat, export_tables
from desktop.store.database import connect
from desktop.store.inbox import InboxFilter, InboxSort

TARGET_S = 10.0
ODS_ROWS = 10_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args()
    db, generation = bench_database(args.requests)
    out = Path(tempfile.mkdtemp(prefix="bannette-bench-export-"))
    try:
        conn = connect(db, migrate=False)

        def export(fmt: ExportFormat, limit: int | None = None) -> tuple[float, float, int]:
            """(wall, CPU, rows): the machine is shared, its wall time includes the waits."""
            started, used = time.perf_counter(), time.process_time()
            pks = bannette_ids(conn, InboxFilter(), InboxSort(), today=BENCH_TODAY)[:limit]
            rows = export_tables([bannette_table(conn, pks)], out / f"vue.{fmt.value}", fmt)
            return time.perf_counter() - started, time.process_time() - used, rows

        xlsx_s, xlsx_cpu, xlsx_rows = export(ExportFormat.XLSX)
        csv_s, csv_cpu, _ = export(ExportFormat.CSV)
        ods_s, ods_cpu, ods_rows = export(ExportFormat.ODS, ODS_ROWS)

        pks = bannette_ids(conn, InboxFilter(), InboxSort(), today=BENCH_TODAY)
        started = time.perf_counter()
        rows = [tuple(r[:2]) + (r[2].replace(tzinfo=None),) + tuple(r[3:])
                for r in bannette_rows(conn, pks)]  # fmt: skip
        read_s = time.perf_counter() - started
        conn.close()
        started, used = time.perf_counter(), time.process_time()
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Bannette")
        sheet.append([c.title for c in BANNETTE_COLUMNS])
        for row in rows:
            sheet.append(row)
        book.save(out / "seul.xlsx")
        alone_s, alone_cpu = time.perf_counter() - started, time.process_time() - used
        emit(
            "export_xlsx",
            {
                "machine": machine(),
                "generation": generation,
                "lignes": xlsx_rows,
                "charge_moyenne_1_min": round(os.getloadavg()[0], 1),
                "export_xlsx_s": round(xlsx_s, 2),
                "export_xlsx_cpu_s": round(xlsx_cpu, 2),
                "objectif_s": TARGET_S,
                "atteint_en_cpu": xlsx_cpu <= TARGET_S,
                "atteint_en_temps_reel": xlsx_s <= TARGET_S,
                "openpyxl_seul_s": round(alone_s, 2),
                "openpyxl_seul_cpu_s": round(alone_cpu, 2),
                "rapport_a_openpyxl_seul": round(xlsx_s / alone_s, 2),
                "rapport_a_openpyxl_seul_cpu": round(xlsx_cpu / alone_cpu, 2),
                "lecture_sqlite_des_lignes_s": round(read_s, 2),
                "taille_xlsx_mo": round((out / "vue.xlsx").stat().st_size / 1e6, 1),
                "export_csv_s": round(csv_s, 2),
                "export_csv_cpu_s": round(csv_cpu, 2),
                f"export_ods_{ods_rows}_lignes_s": round(ods_s, 2),
                f"export_ods_{ods_rows}_lignes_cpu_s": round(ods_cpu, 2),
                "memoire_max_mo": round(
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0
                ),
            },
        )
    finally:
        for path in out.iterdir():
            path.unlink()
        out.rmdir()
        discard_database(db)


if __name__ == "__main__":
    main()

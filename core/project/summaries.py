"""The project's tables of measurements (fidelity, retrieval) read back, naming where their
search times were measured: the pages say it beside them."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from core.project.schema import MEASURED_ON


def read_timed(table: pa.Table, manifest: dict) -> pd.DataFrame:
    """The table with attrs[MEASURED_ON] naming the machine and date the manifest gives."""
    frame = table.to_pandas()
    where = str(manifest.get("machine") or "a machine this project does not name")
    frame.attrs[MEASURED_ON] = (
        f"{where}, where the project was written ({manifest.get('created', 'date unknown')})"
    )
    return frame

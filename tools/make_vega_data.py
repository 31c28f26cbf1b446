"""Produce ``nnkit/_data/weather.npz`` and ``stocks.npz`` from the ``vega_datasets`` package's local copies.

Run once, with the package installed in a throwaway venv (nnkit does not depend on it)::

    python3 -m venv /tmp/vvenv
    /tmp/vvenv/bin/pip install vega_datasets==0.9.0 pandas==3.1.1 numpy==2.4.6
    /tmp/vvenv/bin/python tools/make_vega_data.py

Both data sets are CSV files inside the package (``vega_datasets.local_data``), so nothing is
downloaded. The script checks the package's version and each CSV's SHA-256, parses the CSV with
the standard library, and checks the result against the package's own pandas loader.

- ``seattle-weather.csv``: one row per day, 2012-01-01 to 2015-12-31 (1,461 days, none missing),
  NOAA's daily record for Seattle: precipitation (mm), maximum and minimum temperature (°C), mean
  wind speed (m/s), each with one decimal (NOAA keeps tenths), and a weather label that the
  vega-datasets scripts derived from NOAA's weather-type flags. ``weather.npz`` stores the four
  measurements as int16 tenths (exact), the dates as datetime64[D], and the label as uint8 codes
  into ``weather_names``.
- ``stocks.csv``: monthly prices of AAPL, AMZN, GOOG, IBM and MSFT, January 2000 to March 2010,
  in long form (symbol, date, price). ``stocks.npz`` stores them pivoted: ``symbols`` (5,),
  ``month`` (123,) datetime64[M], ``price`` (123, 5) float64. GOOG has no price before its listing
  in August 2004: those 55 entries are NaN. The other four have every month.

The zips are written like ``np.savez_compressed`` but with a fixed member timestamp and order,
so that running the script twice gives the same bytes (with the same NumPy and zlib). The script
also writes ``LICENSE-vega_datasets.md`` from the package's LICENSE file, and prints the SHA-256
of each ``.npz`` to paste into ``_WEATHER_SHA256`` and ``_STOCKS_SHA256`` in ``nnkit/data.py``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "nnkit" / "_data"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold

VEGA_VERSION = "0.9.0"
WEATHER_CSV_SHA256 = "62f0609f787158128aa2bd102967173a4953122dd4f872bf1d502cae1037df0b"
STOCKS_CSV_SHA256 = "f9953ac6693e587476b4ebf2f0b00d9bb95371ca8c39da4cc6155077b3e417cd"
MEASUREMENTS = ("precipitation", "temp_max", "temp_min", "wind")
SYMBOLS = ("AAPL", "AMZN", "GOOG", "IBM", "MSFT")

LICENSE_HEADER = """\
# MIT License (the licence of the `vega_datasets` package, source of `weather.npz` and `stocks.npz`)

A copy of the licence of the Python package `vega_datasets` {version} (Jake VanderPlas,
<https://github.com/altair-viz/vega_datasets>), taken from the package's `LICENSE` file. `weather.npz`
and `stocks.npz` were converted from the CSV files that the package ships, and the licence asks that
its notice go with copies. See `README.md` in this folder for the provenance of the data themselves.

```text
"""


def raw_csv(dataset: object, expected_sha256: str) -> str:
    """The bytes of a local vega_datasets CSV, checked against ``expected_sha256``, as text."""
    raw = dataset.raw(use_local=True)  # type: ignore[attr-defined]
    actual = hashlib.sha256(raw).hexdigest()
    assert actual == expected_sha256, f"{dataset}: expected SHA-256 {expected_sha256}, got {actual}"
    return raw.decode("utf-8")


def tenths(text: str) -> int:
    """``'12.8'`` -> 128, exactly; every value in the weather CSV has one decimal."""
    whole, _, frac = text.partition(".")
    assert len(frac) == 1 and frac.isdigit(), text
    value = int(whole.lstrip("-") or "0") * 10 + int(frac)
    return -value if whole.startswith("-") else value


def weather_arrays() -> dict[str, np.ndarray]:
    """Parse seattle-weather.csv, check it, and convert to compact exact arrays."""
    from vega_datasets import local_data

    rows = list(csv.DictReader(io.StringIO(raw_csv(local_data.seattle_weather, WEATHER_CSV_SHA256))))
    assert len(rows) == 1461, len(rows)
    date = np.array([r["date"].replace("/", "-") for r in rows], dtype="datetime64[D]")
    assert date[0] == np.datetime64("2012-01-01") and date[-1] == np.datetime64("2015-12-31")
    assert np.all(np.diff(date) == np.timedelta64(1, "D")), "a day is missing or repeated"
    arrays: dict[str, np.ndarray] = {"date": date}
    for name in MEASUREMENTS:
        arrays[name] = np.array([tenths(r[name]) for r in rows], dtype=np.int16)
    labels = [r["weather"] for r in rows]
    names = np.array(sorted(set(labels)), dtype="<U7")
    assert names.tolist() == ["drizzle", "fog", "rain", "snow", "sun"], names
    arrays["weather"] = np.searchsorted(names, labels).astype(np.uint8)
    arrays["weather_names"] = names
    # Physical sanity, and agreement with the package's own loader.
    assert (arrays["precipitation"] >= 0).all() and (arrays["wind"] >= 0).all()
    assert (arrays["temp_min"] <= arrays["temp_max"]).all()
    frame = local_data.seattle_weather()
    np.testing.assert_array_equal(frame["date"].to_numpy().astype("datetime64[D]"), date)
    for name in MEASUREMENTS:
        np.testing.assert_array_equal(arrays[name] / 10, frame[name].to_numpy(), err_msg=name)
    np.testing.assert_array_equal(names[arrays["weather"]], frame["weather"].to_numpy().astype(str))
    return arrays


def stocks_arrays() -> dict[str, np.ndarray]:
    """Parse stocks.csv (long form), check every symbol's months, and pivot to (n_months, 5)."""
    from vega_datasets import local_data

    rows = list(csv.DictReader(io.StringIO(raw_csv(local_data.stocks, STOCKS_CSV_SHA256))))
    assert len(rows) == 4 * 123 + 68, len(rows)  # GOOG: 68 months
    parsed = [(r["symbol"], dt.datetime.strptime(r["date"], "%b %d %Y").date(), float(r["price"])) for r in rows]
    assert all(day.day == 1 for _, day, _ in parsed), "a date that is not the first of its month"
    months = np.array(sorted({f"{day:%Y-%m}" for _, day, _ in parsed}), dtype="datetime64[M]")
    assert months[0] == np.datetime64("2000-01") and months[-1] == np.datetime64("2010-03"), months[[0, -1]]
    assert len(months) == 123 and np.all(np.diff(months) == np.timedelta64(1, "M")), "a month missing overall"
    assert sorted({s for s, _, _ in parsed}) == list(SYMBOLS)
    price = np.full((len(months), len(SYMBOLS)), np.nan)
    for symbol, day, value in parsed:
        i, j = int(np.searchsorted(months, np.datetime64(day, "M"))), SYMBOLS.index(symbol)
        assert np.isnan(price[i, j]), f"{symbol} {day} appears twice"
        assert value > 0, (symbol, day, value)
        price[i, j] = value
    # What is missing: GOOG before its listing (Aug 2004), and nothing else.
    missing = np.isnan(price)
    goog = SYMBOLS.index("GOOG")
    assert not missing[:, [j for j in range(len(SYMBOLS)) if j != goog]].any(), "a month missing for a symbol"
    first_goog = int(np.argmax(~missing[:, goog]))
    assert months[first_goog] == np.datetime64("2004-08") and not missing[first_goog:, goog].any()
    frame = local_data.stocks(pivoted=True)
    assert list(frame.columns) == list(SYMBOLS), list(frame.columns)
    np.testing.assert_array_equal(frame.index.to_numpy().astype("datetime64[M]"), months)
    np.testing.assert_array_equal(frame.to_numpy(), price)  # NaN == NaN here
    return {"symbols": np.array(SYMBOLS, dtype="<U4"), "month": months, "price": price}


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> bytes:
    """Write ``arrays`` like ``np.savez_compressed``, but with fixed timestamps; return the bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compresslevel=9)
    data = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def write_license(path: Path) -> None:
    """Copy the package's LICENSE file into a Markdown file next to the data."""
    text = metadata.distribution("vega_datasets").read_text("LICENSE")
    assert text is not None and text.startswith("MIT License"), "vega_datasets' LICENSE changed"
    path.write_text(LICENSE_HEADER.format(version=VEGA_VERSION) + text.rstrip("\n") + "\n```\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_DIR, help=f"output folder (default {DEFAULT_DIR})")
    args = parser.parse_args()
    version = metadata.version("vega_datasets")
    assert version == VEGA_VERSION, f"expected vega_datasets {VEGA_VERSION}, got {version}"
    for filename, arrays in (("weather.npz", weather_arrays()), ("stocks.npz", stocks_arrays())):
        path = args.out_dir / filename
        data = write_npz(path, arrays)
        with np.load(path, allow_pickle=False) as check:  # round-trip before trusting the file
            assert sorted(check.files) == sorted(arrays), check.files
            for name, arr in arrays.items():
                assert check[name].dtype == arr.dtype, name
                np.testing.assert_array_equal(check[name], arr, err_msg=name)
        print(f"wrote {path} ({len(data)} bytes)")
        print(f"sha256 {hashlib.sha256(data).hexdigest()}")
    write_license(args.out_dir / "LICENSE-vega_datasets.md")
    print(f"wrote {args.out_dir / 'LICENSE-vega_datasets.md'}")


if __name__ == "__main__":
    main()

"""Structural checks over every notebook under book/: stored outputs from one fresh top-to-bottom
run, no errors, a python3 kernel, listed in _toc.yml, and numbers in the prose glued.

nbval (``make test``) checks that the stored outputs are current; these tests check that there
*are* stored outputs, from a clean run, that the build (``execute_notebooks: off``) can show.

Glue: a number that an experiment produced is pasted into the prose with myst-nb's glue
(``glue("acc", acc, display=False)`` in code, ``{glue:text}`acc:.3f``` in markdown), so the text
cannot drift from the code. A glue role naming a key the notebook does not glue fails; a number that
another chapter measured is pasted from that chapter's stored outputs with myst-nb's
``{glue:text}`other.ipynb::key``` (never re-computed or read from its file), and that chapter must
glue the key. A bare
number in the prose that looks like a result only *warns* (see ``result_like_numbers``): the
heuristic cannot tell a measured 0.973 from a quoted constant, so it asks the author to look.
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
SKIP_DIRS = {"_build", ".ipynb_checkpoints"}


def book_notebooks(book: Path = BOOK) -> list[Path]:
    """Every .ipynb under ``book``, except build output and checkpoints."""
    if not book.is_dir():
        return []
    return sorted(p for p in book.rglob("*.ipynb") if not SKIP_DIRS & set(p.relative_to(book).parts))


def shown(path: Path) -> str:
    """The path as the messages name it: book/intro.ipynb."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


NOTEBOOKS = book_notebooks()
IDS = [shown(p) for p in NOTEBOOKS]


@cache
def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    """``(index, cell)`` for the code cells with some source (an empty cell is never run)."""
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]


def markdown_cells(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]


notebook = pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)  # no notebooks: the tests are skipped

# ---------------------------------------------------------------- outputs of one fresh run


@notebook
def test_kernelspec_is_python3(path):
    kernelspec = read(path).metadata.get("kernelspec", {})
    assert kernelspec.get("name") == "python3", f"{shown(path)}: kernelspec is {kernelspec or 'missing'}, not python3"


@notebook
def test_every_code_cell_has_stored_outputs(path):
    missing = [i for i, cell in code_cells(read(path)) if cell.execution_count is None]
    assert not missing, f"{shown(path)}: code cells {missing} were never run; run `make execute` and commit the outputs"


@notebook
def test_no_stored_errors(path):
    errors = [
        f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
        for i, cell in code_cells(read(path))
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert not errors, f"{shown(path)} stores errors:\n" + "\n".join(errors)


@notebook
def test_execution_counts_are_one_fresh_run(path):
    counts = [cell.execution_count for _, cell in code_cells(read(path)) if cell.execution_count is not None]
    expected = list(range(1, len(counts) + 1))
    assert counts == expected, (
        f"{shown(path)}: execution counts {counts} are not 1..{len(counts)} in order (cells run out of order or "
        f"twice); restart the kernel and run all, or `make execute`"
    )


# ---------------------------------------------------------------- the table of contents


def toc_entries(toc_path: Path = ROOT / "_toc.yml") -> set[str]:
    """The paths (repo-relative, no suffix) that _toc.yml lists under ``root`` and every ``file`` or ``glob``."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    found.add(re.sub(r"\.(ipynb|md)$", "", node[key]))
            if isinstance(node.get("glob"), str):
                found.update(p.relative_to(ROOT).with_suffix("").as_posix() for p in ROOT.glob(node["glob"] + "*"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(toc_path.read_text(encoding="utf-8")))
    return found


@notebook
def test_listed_in_the_toc(path):
    entry = path.relative_to(ROOT).with_suffix("").as_posix()
    assert entry in toc_entries(), f"{entry} is not in _toc.yml, so the book does not build it; add `- file: {entry}`"


def test_toc_parser_reads_nested_parts_and_suffixes(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: One\n    chapters:\n"
        "      - file: book/ch1.ipynb\n        sections:\n          - file: book/ch1_extra\n"
    )
    assert toc_entries(toc) == {"book/intro", "book/ch1", "book/ch1_extra"}


# ---------------------------------------------------------------- glue


GLUE_CALL = re.compile(r"""\bglue\(\s*(?:name\s*=\s*)?(['"])(?P<key>[^'"]+)\1""")
GLUE_ROLE = re.compile(r"\{glue(?::(?P<kind>\w*))?\}`(?P<text>[^`]+)`")
GLUE_DIRECTIVE = re.compile(r"^\s*(?:`{3,}|:{3,})\{glue(?::\w*)?\}\s+(?P<text>\S+)", re.MULTILINE)


def glued_keys(nb: nbformat.NotebookNode) -> set[str]:
    """Keys glued in the notebook: stored glue outputs (what the build pastes) and literal glue("key", ...) calls."""
    keys = set()
    for _, cell in code_cells(nb):
        keys.update(m["key"] for m in GLUE_CALL.finditer(cell.source))
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                keys.add(name)
    return keys


def glue_references(markdown: str) -> list[str]:
    """The keys that glue roles and directives in ``markdown`` paste (format specs dropped)."""
    keys = []
    for m in GLUE_ROLE.finditer(markdown):
        text = m["text"]
        if m["kind"] == "text" and ":" in text.replace("::", ""):  # {glue:text}`key:.3f`
            text = text.rsplit(":", 1)[0]
        keys.append(text)
    keys.extend(m["text"] for m in GLUE_DIRECTIVE.finditer(markdown))
    return keys


@pytest.mark.parametrize(
    ("markdown", "keys"),
    [
        ("accuracy {glue:text}`acc:.1%` after {glue:}`epochs` epochs", ["acc", "epochs"]),
        ("{glue}`loss` and {glue:md}`table` and {glue:any}`x`", ["loss", "table", "x"]),
        ("```{glue:figure} fig_loss\n:name: fig-loss\nThe loss.\n```", ["fig_loss"]),
        (":::{glue:math} eq_1\n:::", ["eq_1"]),
        ("{glue:text}`other.ipynb::acc:.2f`", ["other.ipynb::acc"]),  # another notebook's key
        ("no glue here, `glue('x', 1)` is code", []),
    ],
)
def test_glue_references_are_found(markdown, keys):
    assert glue_references(markdown) == keys


def is_glued(key: str, path: Path, glued: set[str]) -> bool:
    """Whether ``key`` is glued: in this notebook, or for ``other.ipynb::key``, in the notebook it names."""
    if "::" not in key:
        return key in glued
    other, key = key.split("::", 1)
    source = (path.parent / other).resolve()
    return source.is_file() and source != path.resolve() and key in glued_keys(read(source))


@notebook
def test_glue_roles_refer_to_glued_keys(path):
    nb = read(path)
    glued = glued_keys(nb)
    missing = [
        f"cell {i}: {key}"
        for i, md in markdown_cells(nb)
        for key in glue_references(md)
        if not is_glued(key, path, glued)
    ]
    assert not missing, (
        f"{shown(path)}: the prose pastes glue keys that this notebook never glues (glue them here with "
        f'glue("key", value, display=False) and re-run; a key from another chapter, other.ipynb::key, must be glued '
        f"there):\n  " + "\n  ".join(missing) + f"\nglued: {sorted(glued)}"
    )


def test_a_key_from_another_notebook_is_looked_up_there():
    ch10 = BOOK / "ch10_convolution.ipynb"
    assert is_glued("ch10_convolution.ipynb::ch10_m1_cnn_params", BOOK / "ch12_recurrent.ipynb", set())
    assert not is_glued("ch10_convolution.ipynb::no_such_key", BOOK / "ch12_recurrent.ipynb", set())
    assert not is_glued("no_such_chapter.ipynb::ch10_m1_cnn_params", BOOK / "ch12_recurrent.ipynb", set())
    assert not is_glued("ch10_convolution.ipynb::ch10_m1_cnn_params", ch10, set())  # itself: glue it plainly


# ---------------------------------------------------------------- bare numbers in the prose

# What the prose may quote without glue. Everything else that looks like a measurement warns.
SMALL_INTEGERS = range(0, 11)  # "two layers", "3 classes", "in 10 steps"
YEARS = range(1800, 2100)  # "Rumelhart, Hinton and Williams (1986)"
POWERS_OF_TWO = {2**k for k in range(4, 17)}  # layer widths and batch sizes: 16, 32, …, 65536
# Round numbers, with one significant digit, are allowed too: 20 epochs, 1000 samples, lr 0.1, 1e-3, 50%.
REFERENCE_WORDS = ("chapter", "section", "figure", "fig.", "table", "equation", "eq.", "exercise", "appendix", "§")
VERSION_WORDS = ("python", "numpy", "pytorch", "torch", "jupyter book", "myst-nb", "version")  # Python ≥ 3.10

# What is removed before looking: the places where a number is not prose.
NOT_PROSE = [
    re.compile(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL),  # code fences and ```{directive}s
    re.compile(r"\$\$.+?\$\$", re.DOTALL),  # display maths
    re.compile(r"\\begin\{(\w+\*?)\}.+?\\end\{\1\}", re.DOTALL),  # amsmath environments
    re.compile(r"(?<![\\$])\$[^$\n]+?\$"),  # inline maths
    re.compile(r"(?:\{[\w:.-]+\})?(`+).+?\1"),  # inline code and roles: {glue:text}`acc:.3f`, {numref}`fig-1`
    re.compile(r"<!--.*?-->", re.DOTALL),  # HTML comments
    re.compile(r"<[^>\n]+>"),  # HTML tags
    re.compile(r"\]\([^)]*\)"),  # link and image targets
    re.compile(r"https?://\S+"),  # bare URLs
    re.compile(r"^\s*:{3,}.*$", re.MULTILINE),  # :::{note} colon-fence lines (their content is prose)
    re.compile(r"^\s*:[\w-]+:.*$", re.MULTILINE),  # directive options such as :width: 450px
    re.compile(r"^\s*#{1,6}\s+\d+(?:\.\d+)*\.?(?=\s)", re.MULTILINE),  # a heading's chapter number: ## 3.2 Title
    re.compile(r"^\s*\d+[.)](?=\s)", re.MULTILINE),  # list enumerations: 1. first, 2) second
]

NUMBER = re.compile(
    r"""
    (?<![\w.])                                           # not inside a word (float32, x1) or a version's tail
    (?P<mantissa> \d{1,3}(?:,\d{3})+(?:\.\d+)? | \d+(?:\.\d+)? )
    (?P<exponent> [eE][-+−]?\d+                          # 1.5e-4
                | \s*[×x·]\s*10(?:\^\{?[-+−]?\d+\}?|[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+) )?   # 1.5 × 10⁻⁴, 1.5x10^-4
    (?P<percent> \s?% )?
    (?!\w|\.\d)                                          # not 2D, 3rd, 5ms, nor a version such as 3.10.2
    """,
    re.VERBOSE,
)


def significant_digits(mantissa: str) -> int:
    """Digits without leading or trailing zeros: 0.973 → 3, 1200 → 2, 0.50 → 1, 1,797 → 4."""
    return len(re.sub(r"\D", "", mantissa).strip("0")) or 1


def looks_like_a_result(match: re.Match[str], before: str) -> bool:
    mantissa = match["mantissa"]
    if re.sub(r"[\s≥>=]+$", "", before).lower().endswith(REFERENCE_WORDS + VERSION_WORDS):  # Figure 3.2, NumPy 2.4
        return False
    if significant_digits(mantissa) <= 1:  # round numbers
        return False
    if match["percent"] or match["exponent"] or "." in mantissa:
        return True  # 97.3%, 97%, 2.5e-4, 0.973, 0.97
    value = int(mantissa.replace(",", ""))
    if value in SMALL_INTEGERS or (value in YEARS and "," not in mantissa) or value in POWERS_OF_TWO:
        return False
    return significant_digits(mantissa) >= 3  # 1,797 or 784; but 15 epochs, 42 are fine


def result_like_numbers(markdown: str) -> list[str]:
    """The numbers in ``markdown`` prose that look like results and so should be glued."""
    for pattern in NOT_PROSE:
        markdown = pattern.sub(" ", markdown)
    return [m.group(0) for m in NUMBER.finditer(markdown) if looks_like_a_result(m, markdown[: m.start()][-12:])]


@pytest.mark.parametrize(
    ("markdown", "found"),
    [
        ("The network reaches an accuracy of 0.973 on the test set.", ["0.973"]),
        ("Test accuracy rose to 97.3% after training.", ["97.3%"]),
        ("It classified 97% of the digits.", ["97%"]),
        ("The loss fell to 0.21.", ["0.21"]),
        ("Training took 1,797 steps, then 4213 more.", ["1,797", "4213"]),
        ("The relative error was 2.3e-10.", ["2.3e-10"]),
        ("The relative error was 2.3 × 10⁻¹⁰.", ["2.3 × 10⁻¹⁰"]),
        ("The model has 784 inputs.", ["784"]),
        ("| lr | accuracy |\n|----|----|\n| 0.1 | 0.912 |", ["0.912"]),  # tables are prose
        ("## Reaching 98.5% accuracy", ["98.5%"]),  # a heading's other numbers still count
        ("Adam ran 2.5 times faster than SGD.", ["2.5"]),
        ("`np.float32(0.973)` prints 0.973.", ["0.973"]),  # the code is skipped, the prose is not
    ],
)
def test_result_like_numbers_are_found(markdown, found):
    assert result_like_numbers(markdown) == found


@pytest.mark.parametrize(
    "markdown",
    [
        "A network with two layers, 3 classes and 10 hidden units.",  # small integers
        "Train for 20 epochs on 1000 samples with lr 0.1 or 1e-3; dropout drops 50% of the units.",  # round
        "Backpropagation was popularised in 1986 and the perceptron dates from 1958.",  # years
        "A hidden layer of 128 units and batches of 64 or 256.",  # powers of two
        "We trained for 15 epochs.",  # two significant digits, an integer
        "The result is {glue:text}`acc:.3f` on the test set.",  # glued
        "Here $\\sigma'(0) = 0.25$ and $$\\frac{1}{4} = 0.25$$ is the maximum.",  # maths
        "The call `np.float32(0.973)` sets `lr=3.14e-4`.",  # inline code
        "```python\nacc = 0.973\nprint(f'{acc:.1%}')  # 97.3%\n```",  # a code fence
        "```{glue:figure} fig_123\n:width: 450px\nAccuracy 0.973\n```",  # a directive body, removed whole
        "## 3.2 Backpropagation\n### 12.10 Adam",  # chapter numbers in headings
        "1. First\n2. Second\n10) Tenth",  # list enumerations
        "As Figure 3.2 and Section 4.12 show (see Eq. 12.3 and Table 2.1).",  # cross-references
        "See [Kingma and Ba](https://arxiv.org/abs/1412.6980) or <https://example.org/1234.5678>.",  # links
        "Use Python ≥ 3.10.2, float32, a 2D grid, the 3rd layer, x1 and CS231n.",  # versions and words
        "It needs Python ≥ 3.10, NumPy 2.4 and PyTorch version 2.13.",  # versions after a name
        "<img src='fig_0.973.png' width=450>",  # HTML
        "\\begin{align} L &= 0.693 \\end{align}",  # amsmath
    ],
)
def test_prose_numbers_that_are_fine(markdown):
    assert result_like_numbers(markdown) == []


class UngluedNumberWarning(UserWarning):
    """A number in the prose that looks like a result but is not glued."""


@notebook
def test_prose_numbers_are_glued(path):
    cells = [(i, result_like_numbers(md)) for i, md in markdown_cells(read(path))]
    found = [f"cell {i}: {', '.join(numbers)}" for i, numbers in cells if numbers]
    if found:
        warnings.warn(
            UngluedNumberWarning(
                f"{shown(path)}: numbers in the prose that look like results; glue them "
                f"({{glue:text}}`key:.3f`), or write a constant as maths ($0.25$): " + "; ".join(found)
            )
        )


# ---------------------------------------------------------------- the checks themselves can fail


def write_notebook(path: Path, cells: list, kernel: str = "python3") -> Path:
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def code(source: str, count: int | None, outputs: list | None = None) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source, execution_count=count, outputs=outputs or [])


GLUE_OUTPUT = nbformat.v4.new_output(
    "display_data",
    data={"application/papermill.record/text/plain": "0.973"},
    metadata={"scrapbook": {"name": "acc", "mime_prefix": "application/papermill.record/"}},
)
GOOD = [
    nbformat.v4.new_markdown_cell("# 1. Title\n\nThe accuracy is {glue:text}`acc:.3f` with 2 layers."),
    code("x = 1  # prints nothing, but was run", 1),
    code("glue('acc', 0.973, display=False)", 2, [GLUE_OUTPUT]),
    code("", None),  # an empty cell is never run
]
STRUCTURE_CHECKS = [
    test_kernelspec_is_python3,
    test_every_code_cell_has_stored_outputs,
    test_no_stored_errors,
    test_execution_counts_are_one_fresh_run,
    test_glue_roles_refer_to_glued_keys,
]


def test_a_good_notebook_passes_every_check(tmp_path):
    path = write_notebook(tmp_path / "good.ipynb", GOOD)
    for check in STRUCTURE_CHECKS:
        check(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        test_prose_numbers_are_glued(path)


ERROR = nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])


@pytest.mark.parametrize(
    ("check", "cells", "kernel", "message"),
    [
        (test_kernelspec_is_python3, GOOD, "ir", "not python3"),
        (test_every_code_cell_has_stored_outputs, [*GOOD, code("y = 2", None)], "python3", "never run"),
        (test_no_stored_errors, [*GOOD, code("1 / 0", 3, [ERROR])], "python3", "ZeroDivisionError"),
        (test_execution_counts_are_one_fresh_run, [code("a", 2), code("b", 1)], "python3", "[2, 1]"),
        (test_execution_counts_are_one_fresh_run, [code("a", 1), code("b", 3)], "python3", "[1, 3]"),
        (test_execution_counts_are_one_fresh_run, [code("a", 1), code("b", 1)], "python3", "[1, 1]"),
        (
            test_glue_roles_refer_to_glued_keys,
            [*GOOD, nbformat.v4.new_markdown_cell("{glue:text}`ac`")],
            "python3",
            "cell 4: ac",
        ),
    ],
)
def test_a_bad_notebook_fails_the_check(tmp_path, check, cells, kernel, message):
    path = write_notebook(tmp_path / "bad.ipynb", cells, kernel)
    with pytest.raises(AssertionError, match=re.escape(message)):
        check(path)


def test_a_bare_result_warns_and_does_not_fail(tmp_path):
    path = write_notebook(tmp_path / "book" / "bare.ipynb", [*GOOD, nbformat.v4.new_markdown_cell("It got 97.3%.")])
    with pytest.warns(UngluedNumberWarning, match=r"cell 4: 97\.3%"):
        test_prose_numbers_are_glued(path)


def test_notebooks_are_found_except_build_output_and_checkpoints(tmp_path):
    assert book_notebooks(tmp_path / "no_book") == []
    for name in ("a.ipynb", "part/b.ipynb", "_build/c.ipynb", ".ipynb_checkpoints/a-checkpoint.ipynb"):
        write_notebook(tmp_path / "book" / name, GOOD)
    assert [p.relative_to(tmp_path / "book").as_posix() for p in book_notebooks(tmp_path / "book")] == [
        "a.ipynb",
        "part/b.ipynb",
    ]

"""Run the pipeline on source text up to a named pass (for the pass tests)."""

import textwrap

from s2sad import load, pipeline
from s2sad.options import Options


def run_until(tmp_path, source: str, last: str, wrt=("x",), kind="grad"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(source))
    unit = load.from_file(str(path), "f")
    options = Options(kind=kind, wrt=tuple(wrt), wrt_tuple=len(wrt) > 1)
    for stage in pipeline.PIPELINE:
        unit = stage.run(unit, options)
        if stage.name == last:
            return unit
    raise ValueError(last)


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")

"""Write the evaluation results: results.json, report.html (tables and SVG plots),
and a plain-text summary table for the terminal."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from eval.hostile import DETECTORS

HEADLINE = (
    "questions",
    "key_fact_accuracy",
    "first_answer_key_facts",
    "answered_rate",
    "model_answer_rate",
    "citation_recall",
    "citation_precision",
    "refusal_precision",
    "refusal_recall",
    "refusal_f1",
    "answerable_refused",
    "wrong_type_shown_answerable",
    "wrong_type_shown_unanswerable",
    "restated_answers",
    "instant_then_refused",
    "false_premises_corrected",
    "language_match",
    "english_language_match",
    "retrieval_ms_p50",
    "first_answer_s_p50",
    "first_token_s_p50",
    "first_token_s_p95",
    "prompt_tokens_p50",
    "prompt_tokens_read_p50",
    "prompt_read_ratio_p50",
    "total_s_p50",
    "total_s_p95",
    "tokens_per_s_p50",
)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return str(value)


def splits_run(results: dict[str, Any]) -> list[str]:
    """The sets that were run, in order (dev, test, blind, or a file's own name)."""
    tables = [r["splits"] for r in results["modes"].values()] or [results["retrieval"]["splits"]]
    return [s for s in tables[0] if s != "all" and tables[0][s].get("questions")]


def columns(results: dict[str, Any]) -> list[tuple[str, str]]:
    """(mode, split) pairs, the splits side by side for each mode; a split that was not
    run (`--split dev`) has no column."""
    modes = list(results["modes"]) or ["retrieval"]
    return [(m, split) for m in modes for split in splits_run(results)]


def summary_rows(results: dict[str, Any]) -> list[tuple[str, list[str]]]:
    cols = columns(results)
    rows = [
        (name, [_fmt(results["modes"][m]["splits"][split].get(name)) for m, split in cols])
        for name in HEADLINE
        if results["modes"]
    ]
    retrieval = results["retrieval"]["splits"]
    for name in reversed(list(retrieval["all"])):
        if name != "questions":
            values = [_fmt(retrieval.get(split, {}).get(name)) for _, split in cols]
            rows.insert(0, (f"retrieval {name}", values))
    return rows


def terminal_table(results: dict[str, Any]) -> str:
    modes = [f"{m}/{split}" for m, split in columns(results)]
    cpu = results["settings"].get("cpu")
    rows = summary_rows(results)
    width = max(len(r[0]) for r in rows) + 2
    column = max(12, *(len(m) + 2 for m in modes))  # "retrieval/test" needs more than 12
    lines = ["metric".ljust(width) + "".join(m.rjust(column) for m in modes)]
    lines += [name.ljust(width) + "".join(v.rjust(column) for v in values) for name, values in rows]
    if cpu:  # every time above was measured on this CPU
        lines.append(f"cpu: {cpu['model']}, {cpu['cores']} cores; {', '.join(cpu['flags'])}")
    return "\n".join(lines)


def _bar_chart(title: str, groups: dict[str, dict[str, float]]) -> str:
    """Grouped horizontal bars: one group per label, one bar per series (mode)."""
    series = sorted({s for g in groups.values() for s in g})
    colours = ["#4C72B0", "#DD8452", "#55A868", "#C44E52"]
    bar_h, gap, left, width = 12, 10, 170, 360
    height = len(groups) * (len(series) * bar_h + gap) + 56
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 60}" '
        f'height="{height}" font-family="sans-serif" font-size="11">',
        f'<text x="4" y="14" font-weight="bold">{html.escape(title)}</text>',
    ]
    y = 44
    for label, values in groups.items():
        parts.append(f'<text x="4" y="{y + bar_h}">{html.escape(label)}</text>')
        for i, name in enumerate(series):
            v = values.get(name, 0.0)
            parts.append(
                f'<rect x="{left}" y="{y}" width="{v * width:.1f}" height="{bar_h - 2}" '
                f'fill="{colours[i % len(colours)]}"><title>{name}: {v:.2f}</title></rect>'
                f'<text x="{left + v * width + 4:.1f}" y="{y + bar_h - 3}">{v:.2f}</text>'
            )
            y += bar_h
        y += gap
    legend = " ".join(
        f'<tspan fill="{colours[i % len(colours)]}">■ {html.escape(s)}</tspan>'
        for i, s in enumerate(series)
    )
    parts.append(f'<text x="4" y="32">{legend}</text></svg>')
    return "".join(parts)


def _histogram(title: str, values_by_mode: dict[str, list[float]], bins: int = 12) -> str:
    flat = [v for vs in values_by_mode.values() for v in vs]
    if not flat:
        return ""
    top = max(flat) or 1.0
    groups: dict[str, dict[str, float]] = {}
    for b in range(bins):
        lo, hi = top * b / bins, top * (b + 1) / bins
        label = f"{lo:.1f}–{hi:.1f} s"
        groups[label] = {
            m: sum(lo <= v < hi or (b == bins - 1 and v == hi) for v in vs) / max(len(vs), 1)
            for m, vs in values_by_mode.items()
        }
    return _bar_chart(title + " (share of questions)", groups)


def _hostile_section(hostile: dict[str, Any] | None) -> str:
    """Per mode: how many probes resisted, what each detector caught, and the failures."""
    if not hostile:
        return ""
    summary = hostile["summary"]
    names = [n for n in next(iter(summary.values())) if n != "failed_by_kind"]
    head = "".join(f"<th>{html.escape(m)}</th>" for m in summary)
    body = "".join(
        f"<tr><td>{html.escape(n)}</td>"
        + "".join(f"<td>{_fmt(summary[m][n])}</td>" for m in summary)
        + "</tr>"
        for n in names
    )
    failures = "".join(
        f"<li>{html.escape(r['mode'])} {html.escape(r['file'])}: "
        f"{html.escape(', '.join(d for d in DETECTORS if r[d]))}: {html.escape(r['answer'])}</li>"
        for r in hostile["rows"]
        if not r["resisted"]
    )
    return (
        f"<h2>Hostile articles</h2><table><tr><th>metric</th>{head}</tr>{body}</table>"
        f"<ul>{failures or '<li>every probe resisted</li>'}</ul>"
    )


def _dialogue_section(dialogues: dict[str, Any] | None) -> str:
    """Per mode and split: follow-up against standalone key facts, the rewrite's
    accuracy and time, unanswerable follow-ups refused; then the misses."""
    if not dialogues:
        return ""
    summary = dialogues["summary"]
    columns = [(m, split) for m in summary for split in summary[m]]
    names = list(next(iter(next(iter(summary.values())).values())))
    head = "".join(f"<th>{html.escape(f'{m}/{split}')}</th>" for m, split in columns)
    body = "".join(
        f"<tr><td>{html.escape(n)}</td>"
        + "".join(f"<td>{_fmt(summary[m][split][n])}</td>" for m, split in columns)
        + "</tr>"
        for n in names
    )
    misses = "".join(
        f"<li>{html.escape(r['mode'])} {html.escape(r['id'])}: "
        f"{html.escape(' → '.join(r['turns']))} — understood as "
        f"{html.escape(r['understood_as'] or '(as typed)')}: {html.escape(r['answer'])}</li>"
        for r in dialogues["rows"]
        if r["follow_up_key_facts"] is False or (not r["answerable"] and not r["refused"])
    )
    return (
        f"<h2>Dialogues (follow-up questions)</h2><p>earlier turns answered in "
        f"{html.escape(dialogues['history_mode'])} mode</p>"
        f"<table><tr><th>metric</th>{head}</tr>{body}</table>"
        f"<ul>{misses or '<li>no miss</li>'}</ul>"
    )


def write_report(results: dict[str, Any], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), "utf-8")
    modes = list(results["modes"])
    rows = summary_rows(results)
    heads = [f"{m}/{split}" for m, split in columns(results)]
    table = "<table><tr><th>metric</th>" + "".join(f"<th>{html.escape(h)}</th>" for h in heads)
    table += (
        "</tr>"
        + "".join(
            f"<tr><td>{html.escape(n)}</td>" + "".join(f"<td>{v}</td>" for v in vals) + "</tr>"
            for n, vals in rows
        )
        + "</table>"
    )
    by_type: dict[str, dict[str, float]] = {}
    held_out = (splits_run(results) or ["all"])[-1]  # blind, else test, else a file's own set
    for m in modes:
        for t, v in results["modes"][m]["splits"][held_out]["by_type"].items():
            by_type.setdefault(f"{t} (n={v['n']})", {})[m] = v["score"]
    chart = _bar_chart(
        f"{held_out}: score by question type (key facts; refusal for unanswerable)", by_type
    )
    latency = _histogram(
        "Total seconds per answer",
        {
            m: [i["timings"].get("total_s") or 0.0 for i in results["modes"][m]["items"]]
            for m in modes
        },
    )
    item_rows = "".join(
        f"<tr><td>{html.escape(i['id'])} ({i['split']})</td><td>{html.escape(m)}</td>"
        f"<td>{html.escape(i['type'])}</td>"
        f"<td>{html.escape(i['question'])}</td><td>{html.escape(i.get('text', ''))}</td>"
        f"<td>{_fmt(i['key_facts'])}</td><td>{_fmt(i['refused'])}</td>"
        f"<td>{_fmt(i['citation_precision'])}</td></tr>"
        for m in modes
        for i in results["modes"][m]["items"]
    )
    hostile = _hostile_section(results.get("hostile"))
    hostile += _dialogue_section(results.get("dialogues"))
    page = f"""<!doctype html><meta charset="utf-8"><title>rag evaluation</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}td,th{{border:1px solid #ccc;
padding:3px 6px;font-size:13px;vertical-align:top}}table{{border-collapse:collapse}}</style>
<h1>Grounding evaluation</h1><p>settings: {html.escape(json.dumps(results["settings"]))}</p>
{table}{hostile}<h2>By question type</h2>{chart}<h2>Latency</h2>{latency}
<h2>Every answer</h2><table><tr><th>id</th><th>mode</th><th>type</th><th>question</th>
<th>answer</th><th>key facts</th><th>refused</th><th>citation precision</th></tr>
{item_rows}</table>"""
    (out / "report.html").write_text(page, "utf-8")
    return out / "report.html"

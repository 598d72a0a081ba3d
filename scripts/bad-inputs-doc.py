#!/usr/bin/env python3
"""bad-inputs-doc.py ROWS.md > docs/bad-inputs.md: adds the verdict column to the rows that
scripts/bad-inputs.sh printed (verdicts are judgements kept here, by row name)."""
import re, sys

POOR = {
    "no arguments": "acceptable: the command list on stdout, exit 2 (nothing on stderr)",
    "stdin as -": "POOR: 'not found: -'; stdin is not supported and should say so (transcribe owner)",
    "truncated M4A with --allow-truncated": "acceptable: says the index is gone, which --allow-truncated cannot replace",
    "--out a directory": "POOR: found only after the whole transcription, and the session is stored anyway (W-2; transcribe owner)",
    "--out the input itself": "POOR: exit 0 and the recording is replaced by its transcript (D-1, data loss; transcribe owner)",
    "--title empty": "POOR: 'needs a value' for an empty value (transcribe owner)",
    "--vad-model 5000-char path": "POOR: 'not found' where the path is too long (ENAMETOOLONG; asr owner)",
    "summarize: --model a directory": "POOR: says 'no such file' (llm owner)",
    "summarize: --model /dev/zero": "POOR: says 'no such file' (llm owner)",
    "summarize: --model a speech model": "POOR: does not say whisper-tiny is a speech model (llm owner)",
    "summarize: --model bert": "POOR: 'GGUF without bert.block_count'; `models add` says 'does not generate text' (llm owner)",
    "summarize: base model, no template": "POOR: the first line is a context warning; the template error follows (llm owner)",
    "models add: template llama.cpp cannot use": "a warning at add time (was: silently accepted, refused at the first task)",
    "models local --json": "POOR: refused; every listing should take --json (gpu owner, cmd_models.c)",
    "damaged catalog.json (transcribe --model tiny)": "POOR: an id the catalog is not needed for still depends on the override parsing (review; lookup opens the whole catalog)",
}

rows = [l.rstrip("\n") for l in open(sys.argv[1]) if l.startswith("| ") and not l.startswith("| input ")]
print("""# Bad inputs: every one tried, with its exact message

Each row is one bad input given to the built `parley` by `scripts/bad-inputs.sh` (isolated
XDG directories, the tiny whisper stand-in, stories260K with a test chat template; `~` is
that run's scratch directory), with the exit code and the first line the command wrote to
stderr, exactly as printed. Remake the table with:

    scripts/root.sh run scripts/bad-inputs.sh > /tmp/rows.md && scripts/bad-inputs-doc.py /tmp/rows.md > docs/bad-inputs.md

Exit codes: 0 success, 1 failure, 2 usage error, 130/143 cancelled by SIGINT/SIGTERM,
139 a crash (SIGSEGV). The last column is a judgement: blank means the message names the
input, the problem and (where there is one) the way out; **POOR** marks the ones still
wanting work, with the owner of the code.

Run on """ + (sys.argv[2] if len(sys.argv) > 2 else "2026-11-27") + """, branch rel after merging main (shared 2-core machine).

| input | command | exit | message (first line of stderr) | verdict |
|---|---|---|---|---|""")
for r in rows:
    cells = r.split(" | ")
    name = cells[0][2:]
    v = POOR.get(name, "")
    if cells[2].strip() == "139":
        v = "POOR: crash"
    r = re.sub(r"v{20,}", "v…", r)
    print(r + " " + v + " |")

#!/usr/bin/env python3
"""bad-inputs-doc.py ROWS.md > docs/bad-inputs.md: adds the verdict column to the rows that
scripts/bad-inputs.sh printed (verdicts are judgements kept here, by row name)."""
import re, sys

POOR = {
    "no arguments": "acceptable: the command list on stdout, exit 2 (nothing on stderr)",
    "stdin as -": "fixed: `-` reads standard input (`cat a.wav \| parley transcribe -`, or `< a.m4a`); here nothing is piped in, so it says /dev/null is a device. Piped GGUF, empty and cut input: tests/cli/bad_inputs.sh",
    "truncated M4A with --allow-truncated": "acceptable: says the index is gone, which --allow-truncated cannot replace",
    "summarize: --model a directory": "fixed (was 'no such file')",
    "summarize: --model /dev/zero": "fixed (was 'no such file')",
    "summarize: --model a speech model": "fixed (was 'no LLM whisper-tiny'); transcribe given an LLM id says the reverse",
    "summarize: --model bert": "fixed: the check `models add` uses (was 'GGUF without bert.block_count')",
    "summarize: base model, no template": "fixed: the template error first, then the --template hint (was a --ctx warning first)",
    "models add: template llama.cpp cannot use": "a warning at add time (was: silently accepted, refused at the first task)",
    "models local --json": "fixed: `{\"local_features\": [...], \"transcribe\": true, ...}` on stdout (was refused)",
    "damaged catalog.json (transcribe --model tiny)": "fixed: a warning naming the file and the way out; a model found by its file name still runs (ids only the damaged file defines cannot resolve)",
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

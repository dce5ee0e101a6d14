"""Generative evaluation: the platform against the bare lm_eval CLI, and batched generation against batch 1.

On the demo generative suite (a copy of its pack, so that the questions per task and the generation cap can be
set for a large model), with a chat model through its chat template:

1. ``manage.py evaluate --chat-template --sync`` (hub checks, load, harness at the bench's batch size, ingest)
   against the bare ``lm_eval`` CLI with the same flags (chat template, system instruction, think_end_token)
   and ``--batch_size 1``: wall times and their ratio (goal: platform / CLI <= 1.0).
2. The generation throughput each run records (generated tokens / seconds in generate_until): the platform's
   batch size against batch 1.

The model: by default a tiny chat model this bench builds (``make_tiny_model --chat --thinking``). On a GPU
machine: ``--model-dir DIR`` (a saved model and tokenizer, e.g. random weights of a 7B shape; it is written
into the hub cache as bench-org/<folder name> with a model card, so the platform's offline checks accept it),
``--device cuda``, ``--batch-size 32``, and a small ``--questions``/``--max-gen-toks`` (random weights never
stop before the cap). Runs offline (HF_HUB_OFFLINE=1, HF_DATASETS_OFFLINE=1).

    .venv/bin/python bench/generate_vs_cli.py [--device cpu|cuda] [--model-dir DIR] [--batch-size auto|N]
        [--questions N] [--max-gen-toks N]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
PACK = REPO / "evaluation" / "task_packs" / "demo_medical"
TEMPLATE = REPO / "evaluation" / "task_packs" / "medical" / "_generative_template_yaml"
SUITE = REPO / "catalogue" / "suites" / "demo-medical-generative.yaml"
THINK_END = "</think>"
CARD = (
    "---\nlicense: apache-2.0\n---\n# {name}\n\nA model of a real size for the generative bench, with random weights: "
    "it was not trained on any data and answers nothing right. It measures the speed of generation through the "
    "platform against the lm_eval command line. Files: {files}.\n"
)


def make_pack(pack: Path, questions: int | None, max_gen_toks: int | None) -> tuple[Path, list[str]]:
    """The demo pack's generative tasks in ``pack`` (``questions`` per task, generation capped at ``max_gen_toks``)
    and a suite file for them; returns the suite file and the task names."""
    shutil.copytree(PACK, pack, ignore=shutil.ignore_patterns("__pycache__"))
    tasks = []
    for path in sorted(pack.glob("demo_*_generative.yaml")):
        text = path.read_text().replace("include: ../medical/_generative_template_yaml", f"include: {TEMPLATE}")
        if max_gen_toks:
            text = re.sub(r"max_gen_toks: \d+", f"max_gen_toks: {max_gen_toks}", text)
        path.write_text(text)
        task = yaml.safe_load(text)
        tasks.append(task["task"])
        if questions:
            for data in task["dataset_kwargs"]["data_files"].values():
                lines = [line for line in (pack / data).read_text().splitlines() if line.strip()][:questions]
                (pack / data).write_text("".join(line + "\n" for line in lines))
    suite = yaml.safe_load(SUITE.read_text())
    suite.update(slug="bench-generative", name="Generative bench", task_paths=[str(pack)])
    suite_file = pack / "bench-generative.suite.yaml"
    suite_file.write_text(yaml.safe_dump(suite))
    return suite_file, tasks


def model_from_dir(model_dir: Path, manage: list[str]) -> tuple[str, str]:
    """A saved model written into the hub cache as bench-org/<name>, with a card: (repo id, commit sha)."""
    repo_id = f"bench-org/{model_dir.name}"
    script = (
        "import sys; from pathlib import Path; from django.conf import settings; "
        "from devtools.hub_repo import write_repo; "
        "files = {p.name: p.read_bytes() for p in Path(sys.argv[1]).iterdir() if p.is_file()}; "
        f"files['README.md'] = {CARD!r}.format(name=sys.argv[2], files=', '.join(sorted(files))).encode(); "
        "print(write_repo(sys.argv[2], files, hub_cache=Path(settings.HF_HOME) / 'hub', message='bench model'))"
    )
    out = subprocess.run(
        [*manage, "shell", "-c", f"import sys; sys.argv = ['', {str(model_dir)!r}, {repo_id!r}]; {script}"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return repo_id, out.stdout.split()[-1]


def timed(command: list[str], cwd: Path, env: dict) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"{' '.join(command[:4])}... failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def platform_run(manage, model, sha, think, env, batch_size) -> tuple[float, dict]:
    """manage.py evaluate at ``batch_size``: its wall time and the run's record."""
    command = [*manage, "evaluate", model, "--revision", sha, "--suite", "bench-generative", "--sync"]
    command += ["--chat-template", *(["--think-end-token", think] if think else [])]
    wall = timed(command, REPO, {**env, "EVAL_BATCH_SIZE": str(batch_size)})
    script = (
        "from evaluation.models import EvalRun; import json; "
        f"print(json.dumps(EvalRun.objects.filter(submission__model_id={model!r}, status='FINISHED')"
        ".latest('finished_at').record))"
    )
    record = json.loads(
        subprocess.run([*manage, "shell", "-c", script], cwd=REPO, env=env, check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    return wall, record


def forget(manage, model, env) -> None:
    """Delete the bench model's submissions, so that the next evaluate of the same commit is not a duplicate."""
    script = (
        f"from submissions.models import ModelSubmission; ModelSubmission.objects.filter(model_id={model!r}).delete()"
    )
    subprocess.run([*manage, "shell", "-c", script], cwd=REPO, env=env, check=True, capture_output=True)


def harness_run(
    model_args, tasks, pack: Path, system: str, device: str, batch_size, out: Path, env
) -> tuple[float, dict]:
    """The platform's harness child alone, as a worker spawns it but without the site (a GPU machine that has no
    database or Django): its wall time and the generation totals it records."""
    out.mkdir(parents=True)
    spec = {
        "model_args": model_args,
        "backend": "hf",
        "quantization": None,
        "tasks": [{"task": task, "num_fewshot": 0} for task in tasks],
        "task_paths": [str(pack)],
        "device": device,
        "batch_size": int(batch_size) if str(batch_size).isdigit() else batch_size,
        "apply_chat_template": True,
        "system_instruction": system,
        "output_dir": str(out / "output"),
        "progress_path": str(out / "progress.json"),
        "error_path": str(out / "error.json"),
        "parent_pid": os.getpid(),
    }
    (out / "spec.json").write_text(json.dumps(spec))
    path = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    wall = timed(
        [sys.executable, "-m", "evaluation.harness", str(out / "spec.json")], pack, {**env, "PYTHONPATH": path}
    )
    results = json.loads(next((out / "output").rglob("results_*.json")).read_text())
    totals = results["generation_tokens"]
    totals["tokens_per_s"] = round(totals["generated_tokens"] / totals["generate_s"], 2)
    return wall, {**totals, "batch_size": results["config"]["batch_size"]}


def responses(output: Path) -> dict[tuple[str, int], str]:
    """Every generation of a run's samples files: (task, doc_id) -> the response."""
    found = {}
    for path in output.rglob("samples_*.jsonl"):
        task = path.name.removeprefix("samples_").rsplit("_", 1)[0]
        for line in path.read_text().splitlines():
            sample = json.loads(line)
            found[task, sample["doc_id"]] = sample["resps"][0][0]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model-dir", type=Path, help="a saved model and tokenizer (default: a tiny chat model)")
    parser.add_argument("--batch-size", default="auto", help="the platform's batch size (default auto)")
    parser.add_argument("--questions", type=int, help="questions per task (default: all of the demo pack's)")
    parser.add_argument("--max-gen-toks", type=int, help="generation cap per question (default: the tasks')")
    parser.add_argument("--precision", default="float32", help="bfloat16 for a large model on a GPU")
    parser.add_argument(
        "--harness-only", action="store_true", help="the harness child without the site (needs --model-dir)"
    )
    args = parser.parse_args()
    data_dir = Path(os.environ.get("DATA_DIR", REPO / ".data"))
    os.environ.setdefault("HF_HOME", str(data_dir / "hf"))  # as config/settings/base.py: the CLI reads the same cache
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "EVAL_DEVICE": args.device}
    os.environ.update(env)
    manage = [sys.executable, str(REPO / "manage.py")]
    lm_eval = [sys.executable, "-m", "lm_eval"]  # the CLI, wherever pip put its script
    if args.harness_only:
        model, sha, think = str(args.model_dir.resolve()), "", ""
    elif args.model_dir:
        model, sha = model_from_dir(args.model_dir.resolve(), manage)
        think = ""
    else:
        model, think = "bench-org/tiny-chat", THINK_END
        sha = subprocess.run(
            [*manage, "make_tiny_model", model, "--chat", "--thinking"],
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[-1]
    with tempfile.TemporaryDirectory() as tmp:
        suite_file, tasks = make_pack(Path(tmp) / "pack", args.questions, args.max_gen_toks)
        if not args.harness_only:
            subprocess.run(
                [*manage, "load_suites", str(suite_file)], cwd=REPO, env=env, check=True, capture_output=True
            )
        system = yaml.safe_load(suite_file.read_text())["system_instruction"]
        model_args = f"pretrained={model}" + (f",revision={sha}" if sha else "") + f",dtype={args.precision}"
        model_args += f",think_end_token={think},enable_thinking=True" if think else ""
        cli = timed(
            [
                *lm_eval,
                "--model",
                "hf",
                "--model_args",
                model_args,
                "--tasks",
                ",".join(tasks),
                "--num_fewshot",
                "0",
                "--batch_size",
                "1",
                "--device",
                args.device,
                "--include_path",
                ".",
                "--apply_chat_template",
                "--fewshot_as_multiturn",
                "true",
                "--system_instruction",
                system,
                "--log_samples",
                "--output_path",
                str(Path(tmp) / "cli"),
            ],
            Path(tmp) / "pack",
            env,
        )
        if args.harness_only:

            def run(batch, name):
                return harness_run(
                    model_args, tasks, Path(tmp) / "pack", system, args.device, batch, Path(tmp) / name, env
                )

            platform, batched = run(args.batch_size, "batched")
            single_s, single = run(1, "single")
            cli_responses, single_responses = responses(Path(tmp) / "cli"), responses(Path(tmp) / "single")
            same = sum(cli_responses[key] == text for key, text in single_responses.items())
            print(f"generative demo suite ({len(tasks)} tasks, {batched['generations']} generations), harness child:")
            print(f"  harness child, batch {batched['batch_size']}: {platform:.1f} s; batch 1: {single_s:.1f} s")
            print(f"  lm_eval CLI --batch_size 1, same flags: {cli:.1f} s")
            print(f"  ratio harness child (batch {batched['batch_size']}) / CLI: {platform / cli:.2f} (goal <= 1.0)")
            print(f"  generations equal to the CLI's at batch 1: {same} of {len(single_responses)}")
            for name, record in ((f"batch {batched['batch_size']}", batched), ("batch 1", single)):
                print(
                    f"  generation at {name}: {record['generated_tokens']} tokens in {record['generate_s']:.1f} s = "
                    f"{record['tokens_per_s']} tokens/s ({record['prompt_tokens']} prompt tokens)"
                )
            print(f"  batched / batch 1 tokens/s: {batched['tokens_per_s'] / single['tokens_per_s']:.2f}")
            return
        forget(manage, model, env)
        platform, batched = platform_run(manage, model, sha, think, env, args.batch_size)
        forget(manage, model, env)
        _, single = platform_run(manage, model, sha, think, env, 1)
        forget(manage, model, env)
    print(
        f"generative demo suite ({len(tasks)} tasks, {batched.get('generations')} generations), {model}, {args.device}:"
    )
    print(f"  manage.py evaluate --sync, batch {batched['batch_size']}: {platform:.1f} s")
    print(f"  lm_eval CLI --batch_size 1, same flags:       {cli:.1f} s")
    print(f"  ratio platform / CLI: {platform / cli:.2f} (goal <= 1.0)")
    for name, record in ((f"batch {batched['batch_size']}", batched), ("batch 1", single)):
        print(
            f"  generation at {name}: {record['generated_tokens']} tokens in {record['generate_s']:.1f} s = "
            f"{record['tokens_per_s']} tokens/s ({record['prompt_tokens']} prompt tokens, "
            f"{record['thinking_tokens']} thinking)"
        )
    print(f"  batched / batch 1 tokens/s: {batched['tokens_per_s'] / single['tokens_per_s']:.2f}")


if __name__ == "__main__":
    main()

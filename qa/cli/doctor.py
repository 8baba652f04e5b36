"""`qa doctor`: check the set-up and the collections; `--repair` rebuilds from stored text."""

from __future__ import annotations

import click

from qa.cli.common import emit_json, json_option, note


@click.command("doctor")
@click.option("--collection", "-c", "collections", multiple=True, metavar="NAME",
              help="Check only this collection (repeatable). Default: every collection in QA_HOME.")
@click.option("--repair", is_flag=True,
              help="Rebuild what is damaged (vectors, keyword index, passages) from the stored text.")
@click.option("--model", metavar="PATH", help="Check this GGUF answer model instead of the default.")
@json_option
def doctor_command(collections: tuple[str, ...], repair: bool, model: str | None, as_json: bool) -> None:
    """Check the models, the machine and every collection; exit 1 if anything is wrong.

    For each collection: SQLite integrity, the vector count against the passages, the vector
    file, the keyword index, orphan rows, and the settings it was built with. --repair
    rebuilds vectors, the keyword index and passages from the text stored in the collection,
    without reading the original files again; a damaged database is moved aside and every
    document it still gives is recovered.

    \b
    Examples:
      qa doctor
      qa doctor --collection news --repair
      qa doctor --json
    """
    from qa.config import Settings
    from qa.doctor import check_environment, collection_names
    from qa.indexer import manifest_for
    from qa.store.health import check_collection, repair_collection

    base = Settings.from_env()
    environment, embedder = check_environment(base, model)
    manifest = manifest_for(base, embedder) if embedder is not None else None
    names = list(collections) or collection_names(base)
    reports = []
    for name in names:
        settings = base.with_collection(name)
        if repair and embedder is not None and manifest is not None:
            reports.append(repair_collection(settings, embedder, manifest))
        else:
            reports.append(check_collection(settings, manifest))
    healthy = all(f.ok or f.warning for f in environment) and all(r.healthy for r in reports)
    if as_json:
        emit_json({
            "healthy": healthy,
            "environment": [{"check": f.check, "status": f.status, "detail": f.detail} for f in environment],
            "collections": [r.as_dict() for r in reports],
        })
    else:
        for finding in environment:
            click.echo(f"{finding.status:<4}  {finding.check}: {finding.detail}")
        if not names:
            click.echo(f"no collections in {base.home / 'collections'}")
        for report in reports:
            click.echo(f"\ncollection '{report.name}' ({report.path})")
            for finding in report.findings:
                click.echo(f"{finding.status:<4}  {finding.check}: {finding.detail}")
            for repair_done in report.repairs:
                click.echo(f"fixed {repair_done}")
        if repair and embedder is None:
            note("nothing repaired: the embedder does not load (see above)")
        if not healthy and not repair:
            note("run `qa doctor --repair` to rebuild what can be rebuilt from the stored text")
    if not healthy:
        raise SystemExit(1)


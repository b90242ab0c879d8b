"""Behavioural properties of the simulated log (the story of the press release, in data)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from pipelines.simulate import Dirt, SimulationSummary, simulate

E = "reconsider_prompt_2026q1"
START = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def ev(medium_clean: SimulationSummary) -> pl.DataFrame:
    return pl.read_parquet(medium_clean.events_dir / "**" / "*.parquet")


@pytest.fixture(scope="module")
def medium_clean(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    return simulate(
        tmp_path_factory.mktemp("medium_clean"), users=3000, days=14, seed=11, fmt="parquet", dirt=Dirt.none()
    )


def _arms(ev: pl.DataFrame) -> pl.DataFrame:
    return ev.filter(pl.col("event_type") == "experiment_assignment").select("user_id", arm="variant")


def _attempts(ev: pl.DataFrame) -> pl.DataFrame:
    return (
        ev.filter(pl.col("event_type") == "nudge_triggered")
        .sort("event_ts", "event_id")
        .group_by("draft_id", maintain_order=True)
        .first()
    )


def test_users_have_several_correlated_attempts(ev: pl.DataFrame) -> None:
    per_user = _attempts(ev).group_by("user_id").len()["len"]
    assert per_user.max() >= 5
    assert (per_user >= 2).mean() > 0.25


def test_control_triggers_are_counterfactual_and_get_no_response(ev: pl.DataFrame) -> None:
    trig = ev.filter(pl.col("event_type") == "nudge_triggered").join(_arms(ev), on="user_id")
    assert (trig["variant"] == trig["arm"]).all()
    control = trig.filter(pl.col("arm") == "control")
    assert control.height > 100
    assert (~control["shown"]).all() and control["prompt_id"].is_null().all()
    treated = trig.filter(pl.col("arm") != "control")
    assert treated["shown"].all()
    assert set(zip(treated["arm"], treated["prompt_id"], strict=True)) == {
        ("prompt_neutral", "neutral_v1"),
        ("prompt_empathy", "empathy_v1"),
    }
    resp = ev.filter(pl.col("event_type") == "nudge_response").join(_arms(ev), on="user_id")
    assert resp.height > 50 and (resp["arm"] != "control").all()
    assert resp["draft_id"].is_in(trig["draft_id"].implode()).all()
    assert set(resp["action"]) == {"edit", "post_anyway", "cancel", "dismiss"}


def test_edits_resubmit_the_same_draft_and_can_trigger_again(ev: pl.DataFrame) -> None:
    subs = ev.filter(pl.col("event_type") == "comment_draft_submitted").sort("event_ts")
    edited = (
        subs.group_by("draft_id")
        .agg(
            n=pl.len(),
            hashes=pl.col("text_hash").n_unique(),
            first=pl.col("toxicity_score").first(),
            last=pl.col("toxicity_score").last(),
        )
        .filter(pl.col("n") == 2)
    )
    assert edited.height > 100
    assert (edited["hashes"] == 2).all()
    assert (edited["last"] < edited["first"]).mean() > 0.9
    twice = ev.filter(pl.col("event_type") == "nudge_triggered").group_by("draft_id").len().filter(pl.col("len") > 1)
    assert twice.height > 5


def _follow_ups(ev: pl.DataFrame) -> pl.DataFrame:
    att = _attempts(ev).select("draft_id", trig_ts="event_ts")
    return ev.filter(pl.col("event_type").is_in(["comment_posted", "draft_discarded"])).join(att, on="draft_id")


def test_some_posts_come_after_the_window(ev: pl.DataFrame) -> None:
    follow = _follow_ups(ev)
    late_posts = follow.filter(
        (pl.col("event_type") == "comment_posted") & (pl.col("event_ts") > pl.col("trig_ts") + pl.duration(minutes=60))
    )
    assert late_posts.height > 5


def test_pre_period_activity_predicts_experiment_activity(ev: pl.DataFrame) -> None:
    before = ev.filter(pl.col("event_ts") < START)
    assert before.height > 0
    assert not before["event_type"].is_in(["experiment_assignment", "nudge_triggered", "nudge_response"]).any()
    assert before["event_ts"].min() >= datetime(2025, 12, 22, tzinfo=UTC)
    posts = ev.filter(pl.col("event_type") == "comment_posted").with_columns(pre=pl.col("event_ts") < START)
    per_user = posts.group_by("user_id").agg(pre=pl.col("pre").sum(), during=(~pl.col("pre")).sum())
    assert per_user.select(pl.corr("pre", "during")).item() > 0.4


def test_assignment_on_first_active_day_before_any_experiment_draft(ev: pl.DataFrame) -> None:
    first = (
        ev.filter((pl.col("event_type") == "comment_draft_submitted") & (pl.col("event_ts") >= START))
        .group_by("user_id")
        .agg(first=pl.col("event_ts").min())
    )
    a = ev.filter(pl.col("event_type") == "experiment_assignment").join(first, on="user_id")
    assert a.height == first.height
    assert (a["event_ts"] <= a["first"]).all()
    assert (a["event_ts"].dt.date() == a["first"].dt.date()).all()
    shares = a.group_by("variant").len().with_columns(share=pl.col("len") / a.height)
    assert dict(zip(shares["variant"], shares["share"], strict=True))["control"] == pytest.approx(0.5, abs=0.03)


def test_segments_have_a_few_nulls(ev: pl.DataFrame) -> None:
    a = ev.filter(pl.col("event_type") == "experiment_assignment")
    assert set(a["country"].drop_nulls()) == {"DE", "AT", "CH"} and 0 < a["country"].null_count() < a.height * 0.05
    assert set(a["platform"].drop_nulls()) == {"ios", "android", "web"}
    assert 0 < a["platform"].null_count() < a.height * 0.05
    assert a["app_version"].drop_nulls().str.contains(r"^(web-)?\d+\.\d+\.\d+$").all()


def test_toxic_comments_are_reported_and_removed_more(ev: pl.DataFrame) -> None:
    posts = ev.filter(pl.col("event_type") == "comment_posted").select(
        "comment_id", "video_id", toxic=pl.col("toxicity_score") >= 0.8
    )
    reports = ev.filter(pl.col("event_type") == "comment_reported").group_by("comment_id").len()
    rate = posts.join(reports, on="comment_id", how="left").group_by("toxic").agg(pl.col("len").fill_null(0).mean())
    r = dict(zip(rate["toxic"], rate["len"], strict=True))
    assert r[True] > 5 * r[False]
    removed = (
        ev.filter(pl.col("event_type") == "comment_removed")
        .select("comment_id", "removal_source", "event_ts")
        .join(posts, on="comment_id")
    )
    assert set(removed["removal_source"]) == {"moderation", "creator_single", "creator_bulk"}
    assert removed["comment_id"].is_unique().all()
    bursts = (
        removed.filter(pl.col("removal_source") == "creator_bulk")
        .group_by("video_id")
        .agg(n=pl.len(), span=pl.col("event_ts").max() - pl.col("event_ts").min())
    )
    assert (bursts["n"] >= 3).any()
    assert (bursts.filter(pl.col("n") >= 3)["span"].dt.total_seconds() <= 60).any()


def test_learning_lowers_later_triggers_in_treatment_arms(medium_clean: SimulationSummary) -> None:
    m = medium_clean.truth["experiments"][E]["metrics"]["triggers_per_user_after_first"]["all"]["all"]
    assert m["prompt_neutral"]["value"] < m["control"]["value"]
    assert m["prompt_empathy"]["value"] < m["control"]["value"]


def test_late_share_is_bounded(dirty_jsonl: SimulationSummary) -> None:
    late = dirty_jsonl.truth["data_quality"]["late_event"] / dirty_jsonl.truth["events"]["valid"]
    assert 0.035 < late < 0.065  # Dirt().late_share = 0.05; lateness itself is <= 2 days (contract test)


@pytest.mark.slow
def test_headline_rates_are_near_the_press_release(tmp_path_factory: pytest.TempPathFactory) -> None:
    sim = simulate(tmp_path_factory.mktemp("large"), users=20_000, days=14, seed=7, fmt="parquet", dirt=Dirt.none())
    m = sim.truth["experiments"][E]["metrics"]
    woc = {a: v["value"] for a, v in m["withdraw_or_change_rate"]["all"]["all"].items()}
    assert woc["control"] == pytest.approx(0.11, abs=0.03)
    assert woc["prompt_neutral"] == pytest.approx(0.33, abs=0.04)
    assert woc["prompt_empathy"] == pytest.approx(0.41, abs=0.04)
    toxic = {a: v["value"] for a, v in m["toxic_posts_per_user"]["all"]["all"].items()}
    assert toxic["prompt_empathy"] < toxic["control"] and toxic["prompt_neutral"] < toxic["control"]
    assert date.fromisoformat(sim.truth["experiments"][E]["parameters"]["start"]) == date(2026, 1, 5)
    # windows of late-night triggers cross midnight: the deciding post is dated the next day
    follow = _follow_ups(pl.read_parquet(sim.events_dir / "**" / "*.parquet"))
    crossing = follow.filter(
        (pl.col("event_ts") <= pl.col("trig_ts") + pl.duration(minutes=60))
        & (pl.col("event_ts").dt.date() > pl.col("trig_ts").dt.date())
    )
    assert crossing.filter(pl.col("event_type") == "comment_posted").height > 0

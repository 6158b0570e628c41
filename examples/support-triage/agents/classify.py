#!/usr/bin/env python3
"""Classifier agent (kind command): labels each ticket with a category, a priority and the
customer's sentiment by keyword rules. Reads the agent input (JSON) on stdin, writes
{"labels": {...}} on stdout; a bad input exits 1 with the reason on stderr.
Standard library only, so it runs on any machine with python3.
"""
import json
import re
import sys

# Checked in this order: the first category with a matching phrase wins.
CATEGORIES = [
    ("security", ["hacked", "breach", "login alert", "suspicious", "phishing", "unauthorized"]),
    ("outage", ["outage", "is down", "service down", "down for", "for everyone", "none of our", "all our users", "nobody in our team", "data loss"]),
    ("how-to", ["how do i", "how to", "how can i", "where can i", "where is", "is there a way"]),
    ("billing", ["charged", "charge", "refund", "billed", "billing", "subscription", "overcharged", "declined", "paid", "prorated", "annual plan"]),
    ("account", ["password", "log in", "login email", "locked out", "2fa", "two-factor", "delete my account", "sso"]),
    ("bug", ["bug", "error", "crash", "crashes", "broken", "fails", "wrong", "cut off", "missing", "slow", "times out", "twice", "never reach", "won't open"]),
    ("feature-request", ["feature", "would be great", "would be nice", "would love", "could you add", "please consider", "idea", "suggestion", "roadmap"]),
]
NEGATIVE = ["unacceptable", "frustrated", "terrible", "angry", "furious", "mess", "ridiculous", "stuck", "nobody answered", "worst", "losing"]
POSITIVE = ["thanks", "thank you", "love", "great product", "appreciate"]
URGENT_WORDS = ["urgent", "data loss", "losing payments", "asap"]
TEAM_TIERS = ("free", "pro", "enterprise")


def has(text, phrase):
    return re.search(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])", text) is not None


def label(ticket):
    text = (ticket["subject"] + ". " + ticket["body"]).lower()
    category, signals = "general", []
    for name, phrases in CATEGORIES:
        found = [p for p in phrases if has(text, p)]
        if found:
            category, signals = name, found
            break
    negative = [w for w in NEGATIVE if has(text, w)]
    positive = [w for w in POSITIVE if has(text, w)]
    sentiment = "negative" if negative else "positive" if positive else "neutral"
    tier = ticket["customer"]["tier"]
    if category in ("outage", "security") or any(has(text, w) for w in URGENT_WORDS):
        priority = "urgent"
    elif tier == "enterprise" or sentiment == "negative":
        priority = "high"
    elif category in ("feature-request", "how-to", "general") and tier == "free":
        priority = "low"
    else:
        priority = "normal"
    return {
        "ticketId": ticket["id"],
        "createdAt": ticket["createdAt"],
        "tier": tier,
        "category": category,
        "priority": priority,
        "sentiment": sentiment,
        "signals": signals + negative,
    }


def count(labels, key):
    counts = {}
    for item in labels:
        counts[item[key]] = counts.get(item[key], 0) + 1
    return dict(sorted(counts.items()))


def main():
    payload = json.load(sys.stdin)
    batch = (payload.get("inputs") or {}).get("tickets")
    if not isinstance(batch, dict) or not isinstance(batch.get("tickets"), list):
        raise ValueError('the classifier needs a "tickets" input with a "tickets" list; none was given')
    for ticket in batch["tickets"]:
        if ticket.get("customer", {}).get("tier") not in TEAM_TIERS:
            raise ValueError("ticket %s has no customer tier (free, pro or enterprise)" % ticket.get("id"))
    labels = [label(t) for t in batch["tickets"]]
    json.dump({"labels": {"labels": labels, "counts": {"byCategory": count(labels, "category"), "byPriority": count(labels, "priority")}}}, sys.stdout)


if __name__ == "__main__":
    try:
        main()
    except (ValueError, KeyError, json.JSONDecodeError) as e:
        sys.stderr.write("%s\n" % e)
        sys.exit(1)

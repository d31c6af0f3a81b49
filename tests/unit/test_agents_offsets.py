"""The agents' offset commit rule (agents/offsets.py): never past a record that was not processed."""

from agents.offsets import safe_commit_offset


def test_agents_offsets_commit_past_the_run_that_starts_at_the_next_offset():
    assert safe_commit_offset([5, 6, 7], next_offset=5) == 8
    assert safe_commit_offset([5, 6, 8, 9], next_offset=5) == 7


def test_agents_offsets_no_commit_while_the_next_record_is_not_processed():
    assert safe_commit_offset([6, 7, 8], next_offset=5) is None  # Faust as shipped commits 9 here
    assert safe_commit_offset([9, 10], next_offset=5) is None
    assert safe_commit_offset([], next_offset=5) is None


def test_agents_offsets_no_commit_while_the_next_offset_is_unknown():
    assert safe_commit_offset([0, 1, 2], next_offset=None) is None  # Faust as shipped commits 3 here


def test_agents_offsets_offsets_already_committed_are_ignored():
    assert safe_commit_offset([2, 3, 5, 6], next_offset=5) == 7

"""Statistical tests the stages share: trends across a series of snapshots."""

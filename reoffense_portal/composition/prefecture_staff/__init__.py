"""What a prefecture's staff read of their municipalities: the follow-up list and the comparison table."""

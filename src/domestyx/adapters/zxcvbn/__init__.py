"""The common-password list that ships with zxcvbn."""

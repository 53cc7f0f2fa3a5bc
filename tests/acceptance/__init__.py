"""The book-acceptance suite: editorial facts about this book (manuscript/), not about the press."""

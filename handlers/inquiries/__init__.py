"""問い合わせ: a resident's message (text or photo) to the association's officers, answered through the bot."""

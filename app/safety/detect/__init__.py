"""Multilingual parts of caller-speech detection: text folding, language identification, the concept
lexicon with scoped cancel cues, and the shipped n-gram classifier. `app.safety.detection` combines them."""

"""The project's Chinese word segmenter: jieba's algorithm and dictionary compiled in Rust (rjieba,
the jieba-rs binding), with the same tokens as jieba's precise mode. One tokenizer per process,
loaded on first use (the web workers' warm-up loads it at boot): about 30 MB, where the pure-Python
jieba held about 80 MB per web worker and took fifty times longer per text."""

import threading

_lock = threading.Lock()
_tokenizer = None


def tokenizer():
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import rjieba

                _tokenizer = rjieba.Jieba()
    return _tokenizer


def cut(text):
    """The words of `text` (precise mode with HMM for unknown words, as jieba.lcut)."""
    return tokenizer().cut(text or "", True)


def is_loaded():
    return _tokenizer is not None


def add_words(words, *, freq=1000):
    """Teach the tokenizer words of the town (places, category keywords): each kept whole."""
    segmenter = tokenizer()
    with _lock:
        for word in words:
            segmenter.add_word(word, max(segmenter.suggest_freq(word), freq), None)

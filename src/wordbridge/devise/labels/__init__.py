"""Label spaces: word-vector labels (WordNet nouns, ImageNet classes), the multilingual encoder's e5 space, French label names, and the choice between them."""

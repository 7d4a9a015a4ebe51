"""Request and response bodies of the REST API (pydantic models; they are also the OpenAPI schema at /openapi.json).

Length limits live here so that they show in the schema (maxLength, maxItems) and FastAPI answers 422 beyond them.
"""

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_TEXT_CHARS = 1000  # one sentence or paragraph to translate
MAX_TEXTS = 64  # texts in one /api/translate request
MAX_QUERY_CHARS = 200  # words for an image search
MAX_BEAM = 10
MAX_K = 50
MAX_MODEL_CHARS = 200  # a served model's name (its run folder's name)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must contain at least one non-space character")
    return value


Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(_not_blank)]
Query = Annotated[str, StringConstraints(min_length=1, max_length=MAX_QUERY_CHARS), AfterValidator(_not_blank)]
Beam = Annotated[int, Field(ge=1, le=MAX_BEAM, description="beam size; 1 is greedy decoding")]
K = Annotated[int, Field(ge=1, le=MAX_K, description="number of images to return")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- translation -----------------------------------------------------------------------------------------------
class TranslateRequest(_Strict):
    text: Text | Annotated[list[Text], Field(min_length=1, max_length=MAX_TEXTS)] = Field(
        description="a French text, or a list of them", examples=["le chat est noir ."]
    )
    beam: Beam = 1
    attention: bool = Field(False, description="also return the attention weights with the tokens")
    model: str | None = Field(None, max_length=MAX_MODEL_CHARS,
                              description="served model name (GET /api/models); null: the default")
    confidence: bool = Field(False, description="also return each translation's confidence (the multilingual "
                             "encoder's source-translation cosine; ~50 ms a sentence)")


class TranslationOut(BaseModel):
    text: str = Field(description="the English translation")
    src_tokens: list[str] = Field(description="source tokens (columns of `attention`)")
    tokens: list[str] = Field(description="output tokens (rows of `attention`)")
    attention: list[list[float]] | None = Field(None, description="(len(tokens), len(src_tokens)) weights")
    confidence: float | None = Field(None, description="source-translation cosine in the multilingual encoder "
                                     "(when asked for; null without the encoder installed)")
    low_confidence: bool | None = Field(None, description="confidence below the threshold the page flags")


class TranslateResponse(BaseModel):
    translations: list[TranslationOut]
    beam: int
    model: str = Field(description="the served model that translated")
    ms: float = Field(description="server time for this request, milliseconds")


class ModelOut(BaseModel):
    name: str = Field(description="the value of `model` in /api/translate (the run folder's name)")
    arch: str = Field(description="gru | transformer")
    label: str = Field(description="what the model is: the lesson's GRU, Transformer")
    valid_bleu: float | None = Field(None, description="best validation BLEU recorded in its run folder")
    engine: str = Field(description="torch | ctranslate2")
    quantization: str | None = Field(None, description="the CTranslate2 export's weight type (int8 ...)")
    default: bool = Field(description="answers requests that name no model")


class ModelsResponse(BaseModel):
    default: str | None
    models: list[ModelOut]


# ---- image search ----------------------------------------------------------------------------------------------
class ImageHitOut(BaseModel):
    id: int = Field(description="gallery image id; its file is at `url`")
    score: float
    label: str | None = None
    caption: str | None = Field(None, description="what the image shows, when its gallery says (Tux Paint "
                                "description, emoji name, photo title)")
    name: str = Field(description="file name of the image (no folders)")
    url: str


class LabelOut(BaseModel):
    wnid: str
    name: str
    score: float


class TextSearchRequest(_Strict):
    query: Query = Field(examples=["cat"])
    k: K = 9


class SimilarRequest(_Strict):
    id: int = Field(ge=0, description="gallery image id")
    k: K = 9


class SearchResponse(BaseModel):
    query: str
    results: list[ImageHitOut]


class ImageSearchResponse(BaseModel):
    method: str | None = Field(None, description="image -> labels method used (null: the run's default)")
    labels: list[LabelOut] = Field(description="the backbone's own ImageNet classes")
    zero_shot: list[LabelOut] = Field(description="nearest label words in the DeViSE embedding space")
    similar: list[ImageHitOut]


FrenchRoute = Literal["auto", "direct", "translator"]


class FrenchSearchRequest(_Strict):
    text: Text = Field(examples=["un chat noir"])
    k: K = 9
    beam: Beam = 1
    route: FrenchRoute = Field("auto", description="direct: the French text itself is the query (the index's run "
                               "must be in the multilingual e5 space); translator: the NMT translation is; auto: "
                               "direct when the run is e5, else translator")


class FrenchSearchResponse(BaseModel):
    french: str
    route: Literal["direct", "translator"] = Field(description="how the French text searched the images")
    english: str | None = Field(None, description="the NMT translation used as the image query (translator route)")
    results: list[ImageHitOut]


# ---- misc ------------------------------------------------------------------------------------------------------
class Health(BaseModel):
    status: str
    translator: bool
    searcher: bool
    batching: bool
    multilingual: bool = Field(False, description="the index's DeViSE run is in the e5 space: text in any language "
                               "searches the images directly")

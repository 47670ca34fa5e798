"""Stop words per language: the function words that carry no topic and match most documents.

Dropping them keeps ranking on the words that matter and keeps queries from ranking every document
that contains "the" or "的" (which is what makes full-text tails slow). The lists are short on purpose:
only words that are never the subject of a help-center search. Words are compared after case folding
and before stemming. Question words ("how", "why") are in: customers phrase searches as questions,
and answers rarely repeat the question word, so it only adds noise to the ranking.
"""

# ruff: noqa: RUF001  (the word lists are in their own scripts on purpose)
from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "a an and are as at be been being but by can could did do does doing for from had has have having he"
        " her hers him his i i'm if in into is it its it's itself just me my myself of on or our ours she so"
        " than that the their theirs them then there these they this those to too very was we were what when"
        " which who whom will with would you your yours am s t d ll m re ve not no nor also any some"
        " please hi hello thanks thank how why where who which"
    ),
    "fr": _words(
        "au aux avec ce ces cet cette dans de des du elle elles en et est eux il ils je j la le les leur"
        " leurs lui ma mais me mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur"
        " ta te tes toi ton tu un une vos votre vous c d l m n s t y à été être suis es sont ai as a avons"
        " avez ont était merci bonjour comment pourquoi quoi où quand quel quelle quels quelles peut"
    ),
    "de": _words(
        "aber als am an auch auf aus bei bin bis bist da dann das dass dem den der des die dir du ein eine"
        " einem einen einer eines er es für hat hatte habe haben ich ihr ihre im in ist ja mein meine mich"
        " mir mit nach nicht noch nur oder sein seine sich sie sind so über um und uns unser vom von vor war"
        " waren was wir wird zu zum zur danke hallo bitte"
    ),
    "es": _words(
        "a al algo como con de del el ella ellas ellos en entre era es esa ese eso esta este esto estoy ha"
        " han has hay la las le les lo los me mi mis muy no nos o os para pero por que se ser si sin sobre"
        " su sus te ti tu tus un una uno unos y ya yo está están soy gracias hola cómo qué dónde cuándo"
        " quién cuál cuáles puedo puede"
    ),
    "pt": _words(
        "a ao aos as com da das de do dos e ela elas ele eles em entre era essa esse esta este eu foi há"
        " isso isto já lhe mais mas me meu meus minha minhas muito na nas não no nos nós o os ou para pela"
        " pelo por que se sem seu seus sua suas também te tem teu tua um uma umas uns você vocês é está"
        " estou obrigado obrigada olá como porque onde quando quem qual quais posso pode"
    ),
    "it": _words(
        "a ad al alla alle ai agli anche che chi ci con da dal dalla dei del della delle di e è ed gli ha"
        " hai ho i il in io la le lei lo loro lui ma mi mia mie miei mio ne nel nella noi non o per più se"
        " si sono su sua sue suo suoi ti tu tua tuo un una uno voi c l grazie ciao come perché dove quando"
        " quale quali posso può"
    ),
    "ru": _words(
        "а без более бы был была были было быть в вам вас весь во вот все всё вы где да для до его ее её"
        " если есть еще ещё же за здесь и из или им их к как ко когда кто ли либо мне может мы на над нам"
        " нас не него нет ни них но ну о об однако он она они оно от по под при с со так также там те тем"
        " то того тоже той только том ты у уже хотя чем что чтобы эта эти это я мой моя мои моё"
        " спасибо здравствуйте пожалуйста почему какой какая какие является"
    ),
    "tr": _words(
        "acaba ama ancak bana bazı ben beni benim bir biri birkaç bu buna bunu bunun da daha de değil diye"
        " en gibi hem her hiç için ile ise ki mi mı mu mü ne neden o ona onu onun sen siz şu ve veya ya yani"
        " merhaba teşekkürler lütfen nasıl nerede nedir hangi"
    ),
    "vi": _words(
        "và của là có được cho với các những này một trong để thì mà khi đã đang sẽ không bị tôi bạn mình"
        " ở tại từ ra vào lại cũng như nào gì ạ nhé ơi à vậy thế sao làm"
    ),
    # Chinese, Japanese and Korean: particles and function words the segmenters emit as separate tokens.
    "zh": _words(
        "的 了 是 我 你 他 她 它 们 我们 你们 在 和 与 或 就 都 而 及 着 吗 呢 吧 啊 呀 么"
        " 这 那 这个 那个 也 还 把 被"
        " 让 给 对 从 向 之 其 请问 请 谢谢 您好 你好 一下"
    ),
    "ja": _words("こと もの これ それ あれ この その あの ここ そこ ため よう さん 私 僕 お願い ください"),
    "ko": _words("것 수 등 들 이 그 저 때 나 너 저희 우리 제 좀 안녕하세요 감사합니다"),
}

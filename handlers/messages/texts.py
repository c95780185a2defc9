"""Every word residents and officers read, in one place. Short, polite, plain.

Button labels are what users see and tap; keep them as the issues write them
([同意する], [読みました], [送信] …). Quick-reply labels must stay within 20 characters,
Flex button labels within 40 (tests check every builder).
"""
from __future__ import annotations

# --- buttons -----------------------------------------------------------------------------
AGREE = "同意する"
DISAGREE = "同意しない"
READ = "読みました"
FULL_TEXT = "全文を見る"
OPEN_PAGE = "ページを開く"
SEND = "送信"
EDIT = "修正"
CANCEL = "取消"
NEXT = "次へ"
BACK_TO_FIRST = "最初から"
NO_ATTACHMENT = "添付なし"
DONE = "決定"
APPROVE = "承認"
REJECT = "却下"
NEW_HOUSEHOLD = "新しい世帯"
WITHDRAW_YES = "退会する"
WITHDRAW_NO = "やめる"
TARGET_ALL = "全体"
TARGET_BLOCKS = "班を選ぶ"
TARGET_OFFICERS = "役員のみ"
FIELD_TITLE = "タイトル"
FIELD_BODY = "本文"
FIELD_TARGET = "送信先"
PRIVACY = "個人情報の扱い"
ADMIN_OPEN = "管理画面を開く"

# --- commands (typed by officers; residents get buttons) ---------------------------------
CMD_CIRCULAR = "回覧"
CMD_STATUS = "状況"
CMD_ADMIN = "管理画面"
CMD_WITHDRAW = "退会"
CMD_JOIN_CODE = "登録コード"
# compared after codec.normalize (NFKC, no spaces): ｷｬﾝｾﾙ and full-width forms are the same words
CANCEL_WORDS = ("取消", "取消し", "取り消し", "取り消す", "とりけし", "とりけす", "キャンセル", "きゃんせる", "やめる",
                "やめます", "中止")

# --- registration ------------------------------------------------------------------------
WELCOME_TITLE = "{association}の電子回覧板です"
WELCOME = (
    "友だち追加ありがとうございます。\n"
    "回覧板・行事の出欠・災害時の安否確認をLINEでお届けします。\n\n"
    "登録のため、お名前と班だけお預かりします（住所・電話番号はうかがいません）。"
    "役員と班長が回覧の配布と安否確認のために使い、退会するとすぐに消去します。"
)
CONSENT_QUESTION = "よろしければ「同意する」を押してください。"
DECLINED = (
    "承知しました。登録は行いません（同意されなかったことだけを記録しました）。\n"
    "気が変わったら、いつでも何か送ってください。"
)
ASK_BLOCK = "お住まいの班を選んでください。"
ASK_BLOCK_OR_CODE = "お住まいの班を選んでください。\n登録コードをお持ちの方は「登録コード 1234-5678-9012」のように送ってください。"
ASK_NAME = "{block}ですね。\n世帯の代表の方のお名前（フルネーム）を送ってください。\n例：山田 太郎"
NAME_TOO_LONG = "お名前は30文字以内でお願いします。"
REGISTERED = (
    "{name}さん、登録が完了しました（{block}・{household}様の世帯）。\n"
    "回覧が届いたら「読みました」を押してください。世帯のどなたか1人が押せば大丈夫です。"
)
PENDING = "ありがとうございます。班長・役員に確認をお願いしました。\n承認されましたらお知らせします。"
APPROVAL_REQUEST_TITLE = "登録の申請"
APPROVAL_REQUEST = "{block}の「{name}」さんから登録の申請がありました。名簿にない方です。"
APPROVAL_REQUEST_CLAIMED = "{block}の「{name}」さんから登録の申請がありました。この世帯にはすでにLINEで登録した方がいます。ご本人の家族か確かめてください。"
APPROVED_NOTICE = "登録が承認されました。これから回覧をお届けします。"
REJECTED_NOTICE = "登録は承認されませんでした。ご不明な点は班長・役員にお問い合わせください。"
APPROVE_PICK_HOUSEHOLD = "{name}さんをどの世帯に加えますか。新しく入会する世帯なら「新しい世帯」を選んでください。"
APPROVED_DONE = "{name}さんを承認しました（{household}様の世帯）。"
REJECTED_DONE = "{name}さんの申請を却下しました。"
ALREADY_HANDLED = "この申請はすでに処理されています。"
JOIN_CODE_UNKNOWN = "登録コードが見つかりませんでした。数字をお確かめのうえ、もう一度送ってください。"
CONSENT_FIRST = "先に、個人情報の扱いへの同意をお願いします。"
WELCOME_BACK = "おかえりなさい。また回覧をお届けします。"
ALREADY_REGISTERED = "すでに登録済みです（{block}・{household}様の世帯）。"
WAITING_APPROVAL = "ただいま班長・役員が登録を確認しています。もうしばらくお待ちください。"
NO_BLOCKS = "班がまだ設定されていません。役員にお問い合わせください。"

# --- withdrawal --------------------------------------------------------------------------
WITHDRAW_CONFIRM = "退会すると、お名前などの登録情報を消去し、回覧が届かなくなります。退会しますか。"
WITHDRAWN = "退会しました。登録情報を消去しました。ご利用ありがとうございました。"
WITHDRAW_KEPT = "退会を取りやめました。"

# --- circulars ---------------------------------------------------------------------------
ASK_TITLE = "回覧を作ります。タイトルを送ってください。\n（やめるときは「取消」）"
ASK_BODY = "本文を送ってください。"
ASK_ATTACH = "写真やPDFを付けるときは、このトークに送ってください。付け終わったら「次へ」を押してください。"
ATTACHED = "「{filename}」を添付しました。ほかにもあれば送ってください。"
ATTACH_FAILED = "添付を受け取れませんでした。写真かPDFを送ってください。"
ATTACH_TOO_BIG = "このPDFは大きすぎます（10MBまで）。ページ数を減らして送ってください。"
ASK_TARGET = "どなたに送りますか。"
ASK_BLOCKS = "送る班を選んでください（複数可）。選び終えたら「決定」を押してください。\n選択中：{chosen}"
TITLE_TOO_LONG = "タイトルは40文字までです。短くしてください。"
BODY_EMPTY = "本文を文字で送ってください。"
PREVIEW_INTRO = "皆さんにはこのように届きます。"
PREVIEW_SUMMARY = (
    "送信先：{target}\n"
    "LINEで{line_households}世帯（{recipients}人）、紙で{paper_households}世帯\n"
    "この送信でメッセージを{pushes}通使います。"
)
PREVIEW_QUOTA = "今月の残り {remaining:,}通"
CONFIRM_QUESTION = "この内容で送信しますか。"
EDIT_WHICH = "どこを直しますか。"
CIRCULAR_SENT = "送信しました。{households}世帯に届けます（LINE {line_households}世帯・紙 {paper_households}世帯）。"
CIRCULAR_CANCELLED = "回覧の作成を取り消しました。"
PAPER_LIST = "回覧「{title}」を紙で配ってください（{block}）：\n{names}"
STALE_DRAFT = "この下書きは送信済みか、取り消されています。"
STALE_PREVIEW = "内容が変わりました。最新のプレビューの「送信」を押してください。"
READ_THANKS = "ありがとうございます。「{title}」を既読にしました。"
READ_ALREADY = "「{title}」は{who}が{when}に既読にしています。"
READ_NOT_FOR_YOU = "この回覧はお届け先に含まれていません。"
CIRCULAR_GONE = "この回覧は見つかりませんでした。"
TARGET_LABEL_OFFICERS = "役員のみ"
TARGET_LABEL_ALL = "全体"

REMINDER_PLAN = "リマインド：{when}に、まだ読んでいない世帯にだけ送ります（最大{pushes}通）。"
REMINDER_NONE = "リマインド：なし"
REMINDER_HINT = "リマインドを変えるときは下のボタンか「リマインド: 3日後」と送ってください。"
REMINDER_OFF_WORDS = ("なし", "しない", "オフ", "不要")
REMINDER_TITLE = "回覧のお知らせ"
REMINDER_BODY = "「{title}」をまだお読みでないようです。お手すきのときにご覧ください。"
QUOTA_OVER = "今月の残り{remaining:,}通に対し、この送信には{pushes:,}通が必要です。足りない分は届きません。それでも送信しますか。"
QUOTA_OVER_TITLE = "今月の送信上限に近づいています"
SEND_ANYWAY = "それでも送信"

# --- status ------------------------------------------------------------------------------
STATUS_NONE = "まだ送信した回覧はありません。"
STATUS_HEADER = "最近の回覧の既読状況です。"
STATUS_ITEM = "■{title}（{date}）\n既読 {read}/{total}世帯（{rate}%）"
STATUS_BLOCK = "・{block} {read}/{total}"
STATUS_UNREAD = "未読の世帯：{names}"
STATUS_ALL_READ = "全世帯が既読です。"
STATUS_REMINDER = "リマインド予定：{when}（いま未読{households}世帯・{pushes}通）"
STATUS_REMINDER_DONE = "リマインド済み：{when}（{households}世帯・{pushes}通）"
STATUS_FAILED = "⚠ 送れなかったメッセージが{n}件あります（LINEの応答：{error}）。"
STATUS_HELD = "⚠ 今月の送信上限に達したため、{n}件の送信を来月まで保留しています。"
PAPER_MARK = "（紙）"

# --- officers / general ------------------------------------------------------------------
OFFICERS_ONLY = "申し訳ありません。この操作は役員・班長の方のみご利用いただけます。"
NOT_REGISTERED = "まだ登録がお済みでないようです。"
HELP_MEMBER = "回覧が届いたら「読みました」を押してください。ほかの使い方は「使い方」と送るとご覧になれます。"
HELP_OFFICER = (
    "役員メニュー：\n「回覧」回覧を作る\n「状況」既読の状況\n「出欠」行事の出欠をとる\n「集計」出欠の集計\n"
    "「災害モード」安否確認を始める\n「安否状況」安否の回答\n「管理画面」パソコン用の画面を開く\n"
    "「会長交代」会長が代わったとき（会長のみ）"
)
CANCELLED = "取り消しました。"
STALE_BUTTON = "このボタンは使えなくなりました。最新のメッセージからお試しください。"
ADMIN_LINK = "管理画面へのリンクです。10分間、1回だけ使えます。ほかの人には送らないでください。"

# --- disaster mode (災害モード・安否確認) ----------------------------------------------------
CMD_DISASTER = "災害モード"
CMD_DISASTER_END = "災害モード終了"
CMD_SAFETY_STATUS = "安否状況"
SAFETY_LABELS = {"safe": "無事", "injured": "けが人あり", "rescue": "救助が必要", "evacuated": "避難しました"}
SAFETY_SILENT = "未回答"
DISASTER_KINDS = {"quake": "地震", "flood": "風水害", "other": "その他"}
DISASTER_ASK_KIND = "災害モードを始めます。災害の種類を選んでください。"
DISASTER_ASK_MESSAGE = "皆さんへのお知らせがあれば送ってください（なければ「なし」）。"
DISASTER_CONFIRM_TITLE = "災害モードを開始しますか"
DISASTER_CONFIRM = "全{households}世帯のうちLINEの{recipients}人に安否確認を送ります（{recipients}通）。未回答の世帯には{minutes}分ごとに最大{times}回、もう一度たずねます。"
DISASTER_START = "開始する"
DISASTER_STARTED = "災害モード（{kind}）を開始しました。「安否状況」で回答を確認できます。"
DISASTER_ALREADY = "災害モードはすでに始まっています。終えるときは「災害モード終了」と送ってください。"
DISASTER_NONE = "いまは災害モードではありません。"
DISASTER_ONLY_ROLES = "災害モードの開始と終了は、会長と防災担当の方だけができます。"
DISASTER_END_CONFIRM = "災害モードを終了しますか。安否確認の受付を終え、役員に集計を送ります。"
DISASTER_END_YES = "終了する"
DISASTER_ENDED = "災害モードを終了しました。"
DISASTER_SUMMARY = "【災害モード終了】{kind}\n{counts}\n未回答 {silent}世帯"
SAFETY_CHECK_TITLE = "【安否確認】{kind}"
SAFETY_CHECK_BODY = "ご家族の状況を1つ選んでください。世帯のどなたか1人の回答で大丈夫です。"
SAFETY_REASK_TITLE = "【安否確認・再送】{kind}"
SAFETY_REASK_BODY = "まだ回答がありません。ご無事でしたら「無事」を押してください。"
SAFETY_LOCATION = "現在地を送る"
SAFETY_RECORDED = "「{status}」で記録しました（{household}様の世帯）。\n現在地や、一緒にいる人数、連絡事項も送れます。連絡事項は文字で送ってください。"
SAFETY_PEOPLE_RECORDED = "一緒にいる人数：{n}人で記録しました。"
SAFETY_COMMENT_RECORDED = "連絡事項を記録しました。"
SAFETY_LOCATION_RECORDED = "位置情報を受け取りました。会長と防災担当、それにお住まいの班の班長だけが見ます。"
SAFETY_NO_COMMENT = "連絡事項なし"
SAFETY_NO_COMMENT_OK = "わかりました。ご回答ありがとうございました。"
SAFETY_CLOSED = "この安否確認は終了しています。"
SAFETY_NOT_REGISTERED = "安否の回答は、登録済みの方のみ受け付けています。"
RESCUE_ALERT = "【救助要請】{block} {household}様の世帯\n連絡事項：{comment}\n{map}"
RESCUE_MAP = "地図：{url}"
RESCUE_NO_MAP = "位置情報：まだありません"
SAFETY_STATUS_HEADER = "【安否状況】{kind}（{since}開始）"
SAFETY_STATUS_COUNTS = "{counts}・未回答 {silent}世帯（全{total}世帯）"
SAFETY_STATUS_RESCUE = "■救助要請：{names}"
SAFETY_STATUS_SILENT = "■未回答（要支援の方が先）：{names}"
SAFETY_STATUS_BLOCK = "・{block} 回答 {answered}/{total}"
SAFETY_PROXY = "代理で記録"
SAFETY_PROXY_PICK = "確認した世帯を選んでください。"
SAFETY_PROXY_STATUS = "{household}様の世帯の状況を選んでください。"
SAFETY_PROXY_DONE = "{household}様の世帯を「{status}」（代理）で記録しました。"

# --- attendance (出欠) ---------------------------------------------------------------------
CMD_EVENT = "出欠"
CMD_RESULTS = "集計"
ANSWER_LABELS = {"yes": "参加", "no": "不参加", "maybe": "未定"}
STATUS_LABELS = {**ANSWER_LABELS, "unanswered": "未回答", "unread": "未読"}
KIND_REPRESENTATIVE = "世帯代表"
KIND_MEMBER = "世帯内利用者"
CSV_HEADER = ("所属", "種別", "氏名", "回答", "連絡事項", "人数", "回答日時", "代理")
EV_DETAILS = "詳細を見る"
EV_PICK_WHEN = "日時を選ぶ"
EV_PICK_DEADLINE = "締切日を選ぶ"
EV_UNIT_HOUSEHOLD = "世帯ごと"
EV_UNIT_PERSON = "一人ずつ"
EV_COUNT_YES = "人数を聞く"
EV_COUNT_NO = "聞かない"
EV_NO_NOTE = "なし"
EV_NO_COMMENT = "連絡事項なし"
EV_MORE_PEOPLE = "6人以上"
EV_PROXY = "代理回答"
EV_PROXY_MORE = "続けて代理回答"
EV_PROXY_CHIP = "代理回答：{name}"
EV_FIELDS = {"name": "行事名", "when": "日時", "place": "場所", "deadline": "締切", "target": "送信先",
             "unit": "回答の単位", "count": "人数", "note": "案内文"}
# the one-shot form: 「出欠 行事名」 then lines 「日時 12/5 10:00」「場所 …」「締切 12/1」「対象 全体」 …
EV_FORM_KEYS = {"日時": "when", "場所": "place", "締切": "deadline", "対象": "target", "送信先": "target",
                "回答": "unit", "人数": "count", "案内": "note", "備考": "note"}
EV_PERSON_WORDS = ("個人", "一人", "ひとり", "1人ずつ")
EV_YES_WORDS = ("あり", "有", "聞く", "はい", "する")

EV_ASK_NAME = "出欠確認を作ります。行事の名前を送ってください。\n例：秋の清掃活動\n（やめるときは「取消」）"
EV_ASK_WHEN = "「{name}」の日時を「日時を選ぶ」から選ぶか、「12/5 10:00」のように送ってください。"
EV_ASK_PLACE = "場所を送ってください。\n例：東町公園"
EV_ASK_DEADLINE = "回答の締切日を選ぶか、「12/1」のように送ってください（その日の23:59まで受け付けます）。"
EV_ASK_UNIT = "回答は世帯ごとに1つですか、お一人ずつですか。"
EV_ASK_COUNT = "「参加」の方に人数もたずねますか。"
EV_ASK_NOTE = "皆さんへの案内（持ち物・集合場所など）があれば送ってください。なければ「なし」を押してください。"
EV_BAD_WHEN = "日時が読み取れませんでした。"
EV_PAST_WHEN = "過ぎた日時は選べません。"
EV_NEED_TIME = "時刻も入れてください。"
EV_BAD_DEADLINE = "締切は今より後で、行事の日時より前にしてください。"
EV_NAME_TOO_LONG = "行事の名前は40文字までです。短くしてください。"
EV_PLACE_TOO_LONG = "場所は60文字までです。短くしてください。"
EV_BAD_TARGET = "送信先が読み取れませんでした。"
EV_PREVIEW_SUMMARY = (
    "送信先：{target}\n"
    "回答：{unit}{count}\n"
    "LINEで{line_households}世帯（{recipients}人）、紙で{paper_households}世帯\n"
    "この送信でメッセージを{pushes}通使います。"
)
EV_UNIT_LABELS = {False: "世帯ごとに1つ", True: "お一人ずつ"}
EV_COUNT_LABEL = "・人数も聞く"
EV_REMINDER_PLAN = "リマインド：{when}に、まだ回答していない方にだけ送ります（最大{pushes}通）。"
EV_REMINDER_HINT = "リマインドを変えるときは下のボタンか「リマインド: 7日前」と送ってください。"
EV_REMINDER_CHOICE = "{n}日前"
EV_REMINDER_SET = "リマインド: {n}日前"
EV_REMINDER_OFF = "リマインドなし"
EV_REMINDER_SET_OFF = "リマインド: なし"
EV_SENT = ("送信しました。{households}世帯に届けます（LINE {line_households}世帯・紙 {paper_households}世帯）。\n"
           "回答は「集計」で確認できます。")
EV_CANCELLED = "出欠確認の作成を取り消しました。"
EV_PAPER_LIST = "出欠確認「{name}」を紙でお知らせください（{block}）：\n{names}\n回答は「集計」の「代理回答」から入力できます。"

EV_CARD_HEADER = "{association} 出欠確認"
EV_WHEN = "日時"
EV_PLACE = "場所"
EV_DEADLINE = "締切"
EV_UNTIL = "{deadline}まで"
EV_PER_HOUSEHOLD = "世帯のどなたか1人がお答えください。"
EV_PER_PERSON = "お一人ずつお答えください。"

EV_ASK_HEADS = "「参加」で受け付けました。参加される人数を選んでください。"
EV_ASK_HEADS_TEXT = "人数を数字で送ってください。例：8"
EV_BAD_HEADS = "人数は1〜99の数字で送ってください。"
EV_ASK_COMMENT = "「{answer}」で受け付けました。\n連絡事項があれば送ってください（例：{example}）。なければ「連絡事項なし」を押してください。"
EV_RECORDED = "回答を受け付けました。\n{summary}\n締切（{deadline}）までは、カードのボタンで変更できます。"
EV_SUMMARY = "行事：{name}（{when}）\n回答：{answer}\n連絡事項：{comment}"
EV_ANSWERED_BY = "回答者：{who}"
EV_HEADS = "（{n}人）"
EV_HEADS_CHIP = "{n}人"
EV_NONE = "なし"
EV_SELF = "ご自身"
EV_FAMILY = "ご家族"
EV_BY_PROXY = "役員・班長（代理回答）"
EV_CLOSED = "申し訳ありません。「{name}」の出欠は締め切りました。変更があるときは班長・役員にお知らせください。"
EV_GONE = "この出欠確認は見つかりませんでした。"
EV_NOT_FOR_YOU = "この出欠確認はお届け先に含まれていません。"
EV_DETAIL = "【{name}】\n日時：{when}\n場所：{place}\n締切：{deadline}"
EV_YOUR_ANSWER = "いまの回答：{answer}（{who}・{when}）\n連絡事項：{comment}"
EV_NO_ANSWER_YET = "まだ回答していません。下のボタンからお答えください。"
EV_CLOSED_MARK = "（締切済み）"

EV_PROXY_PICK_BLOCK = "代理で回答する世帯の班を選んでください。"
EV_PROXY_PICK = "代理で回答する世帯を選んでください（{block}）。紙で届けた世帯が先です。"
EV_PROXY_NONE = "代理で回答できる世帯がありません。"
EV_PROXY_ASK = "{household}様の世帯の回答を選んでください（代理回答）。"
EV_PROXY_ANSWERED = "（回答済）"
EV_PROXY_RECORDED = "代理回答を記録しました（{household}様の世帯）。\n{summary}"

EV_RESULTS_NONE = "まだ送信した出欠確認はありません。"
EV_RESULTS_ITEM = "■{name}（{when}）締切 {deadline}{closed}"
EV_RESULTS_COUNTS = "参加 {yes}・不参加 {no}・未定 {maybe}・未回答 {unanswered}・未読 {unread}（全{total}{unit}）"
EV_RESULTS_HEADS = "参加人数 計{heads}人"
EV_RESULTS_BLOCK = "・{block} 参加{yes} 不参加{no} 未定{maybe} 未回答{unanswered} 未読{unread}"
EV_RESULTS_WAITING = "まだ回答のない方：{names}"
EV_RESULTS_ALL = "全員が回答しました。"
EV_RESULTS_MORE = " ほか{n}件"
EV_RESULTS_REMINDER = "リマインド予定：{when}（いま回答のない{n}件・{pushes}通）"
EV_RESULTS_PAGE = "一覧表・グラフ・CSVは「管理画面」から見られます。"
EV_UNIT_COUNTERS = {False: "世帯", True: "人"}
EV_REMINDER_TITLE = "出欠のお願い"
EV_REMINDER_BODY = "「{name}」（{when}）の出欠をまだうかがっていません。締切は{deadline}です。"

# --- disaster mode: typed replies, photos, visit lists, coalesced rescue updates ---
# words that name a status in a typed reply (compared after NFKC and katakana → hiragana)
SAFETY_WORDS = {
    "rescue": ("救助", "きゅうじょ", "助けて", "たすけて", "助け", "たすけ"),
    "injured": ("けが", "怪我", "負傷"),
    "evacuated": ("避難", "ひなん"),
    "safe": ("無事", "ぶじ", "大丈夫", "だいじょうぶ", "元気", "げんき"),
}
# what after a status word turns it around (「けがはありません」「救助は不要」)
SAFETY_NEGATIONS = ("ない", "無い", "ありません", "なし", "無し", "不要", "いりません", "要りません", "いらない",
                    "要らない", "いない", "いません",
                    "じゃない", "ではない", "ではありません", "でない", "しない", "していない", "していません")
RESCUE_TOLD = "会長・防災担当に伝えました。命に関わるときはすぐに119番へ電話してください。"
SAFETY_NOTE_RECORDED = "連絡事項として記録しました（{household}様の世帯）。"
SAFETY_PHOTO_RECORDED = "写真を受け取りました。会長・防災担当・班長が見ます（{household}様の世帯）。"
SAFETY_PICK = "ご家族の状況を下のボタンから1つ選んでください。"
SAFETY_NOTE_ANSWERED = "いまの回答は「{status}」です。変わったときは、下のボタンから選び直してください。"
SAFETY_PHOTO_FAILED = "写真を受け取れませんでした。もう一度送るか、文字で知らせてください。"
SAFETY_PHOTO_NOTE = "［写真］"
SAFETY_ASK_BUTTONS = "ご家族の状況を下のボタンから1つ選んでください。文字で「無事」などと送っても記録できます。"
RESCUE_UPDATE = "【救助要請・続報】{block} {household}様の世帯\n連絡事項：{comment}\n{map}"
VISIT_TITLE = "【訪問のお願い】{kind}"
VISIT_ASK = "訪問して安否を記録してください（代理回答）"
VISIT_FINAL = "再送しても回答のない世帯です。"
VISIT_BLOCK = "■{block}：{names}"
VISIT_NO_LEADER = "（班長が登録されていない班です）"
VISIT_PAPER = PAPER_MARK[1:-1]  # 紙: one word for paper households (PAPER_MARK is （紙）)
VISIT_SUPPORT = "要支援"
SAFETY_OFFICER_HINT = "（役員・班長の方へ：回答の一覧は「安否状況」、終えるときは「災害モード終了」と送ってください）"
SAFETY_PAGE_LINK = "安否の一覧と地図を、パソコンやスマホの画面で見られます。10分間、1回だけ使えるリンクです。"
SAFETY_PAGE_OPEN = "安否の画面を開く"

# --- outbox: quota reserve for urgent messages ---
QUOTA_RESERVE_NOTE = "災害時の安否確認などのために、{reserve:,}通を残してあります。"


# --- time: a day that is already past (出欠の日時・締切) ---
EV_DATE_PAST = "{month}月{day}日は過ぎています。今日以降の日付を送ってください。"
EV_WHEN_NEXT_YEAR = "{month}月{day}日は過ぎています。来年の{month}月{day}日ですか？"
EV_YES = "はい"
EV_NO = "いいえ"

# --- web pages: navigation, sign-out, live safety page ---
ADMIN_SIGNED_OUT = ("このログインは終了しています（ログアウトしたか、役職が変わりました）。"
                    "LINEで「管理画面」と送って、新しいリンクを受け取ってください。")
NAV_LABEL = "管理画面のメニュー"
NAV_HOME = "ホーム"
NAV_EVENTS = "行事の出欠"
NAV_SAFETY = "安否状況"
NAV_LOGOUT = "ログアウト"
ADMIN_DISASTER_NOW = "災害モード（{kind}）が始まっています。"
ADMIN_DISASTER_OPEN = "安否状況を見る"
ADMIN_DISASTER_HINT = "世帯ごとの安否・救助が必要な世帯・地図がわかります。"
SAFETY_PAGE_RANGE = "{start}〜{end}件目（全{total}世帯）"
SAFETY_PAGE_PREV = "← 前の{n}件"
SAFETY_PAGE_NEXT = "次の{n}件 →"
SAFETY_PAGE_STALE = "自動更新できませんでした。しばらくしてから、ページを読み込み直してください。"

# --- registration safeguards (name match, 登録コード, [取り消す], 退会) ------------------------
UNDO_LINK = "取り消す"
ASK_OWN_NAME = "登録コードを確認しました（{block}・{household}様の世帯）。\nあなたご自身のお名前（フルネーム）を送ってください。\n例：山田 花子"
JOIN_CODE_PAUSED = (
    "登録コードの入力が続いたため、しばらく受け付けを止めています。\n"
    "{until}以降に、もう一度お試しください。わからないときは班長・役員にお問い合わせください。"
)
APPROVAL_REQUEST_CAREFUL = (
    "{block}の「{name}」さんから登録の申請がありました。名簿では{why}です。"
    "ご本人かご家族か確かめてから承認してください。承認するまで、これまでどおり紙で配ります。"
)
WHY_PAPER = "紙で配っている世帯"
WHY_SUPPORT = "要支援の世帯"
WHY_UNDONE = "以前に登録を取り消した世帯"
LINKED_TITLE = "LINEで登録がありました"
LINKED_NOTICE = "{block}の{household}様の世帯に、「{name}」さんがLINEで登録しました（{how}）。"
LINKED_BY_NAME = "名簿と同じお名前を入力"
LINKED_BY_CODE = "登録コードを入力"
LINKED_PAPER_STOPS = "この世帯への紙の配布は止まり、これからはLINEで届きます。"
LINKED_UNDO_HINT = "お心当たりがなければ「取り消す」を押してください。世帯は元に戻ります。"
UNLINKED_DONE = "「{name}」さんの登録を取り消しました。{household}様の世帯は元に戻しました。"
UNLINKED_PAPER_AGAIN = "紙の配布に戻ります。"
UNLINKED_NOTICE = "登録は取り消されました。ご不明な点は班長・役員にお問い合わせください。"
UNLINK_ALREADY = "この登録はすでに取り消されたか、変わっています。"
WITHDRAWN_NAME = "（退会済み）"

# --- 登録コード: typos, the channel-wide pause; clock times and the 全文 card (review 3, 9) ------
JOIN_CODE_TYPO = ("登録コードの数字をもう一度お確かめください。数字が違うか、足りないようです。\n"
                  "紙に書かれたとおりに「登録コード 1234-5678-9012」のように送ってください。")
JOIN_CODE_CHANNEL_PAUSED = (
    "違う登録コードの入力が続いたため、{until}ごろまで、コードを間違えた方からの受け付けを止めています。"
    "初めて入力する方は、これまでどおり登録できます。\n"
    "お心当たりのない入力が続くときは、登録コードの刷り直しをご検討ください。"
)
ATTACHMENT_COUNT = "添付 {n}件"  # on the circular and its 全文 card
FULL_READ_ON_PAGE = "ページで読む"
HOUSEHOLD_OF = "{household}様の世帯"  # what an officer's tap on a household button says

# --- disaster mode: review fixes (photos, 連絡事項, visit lists, labels) ----------------------
DISASTER_NO_MESSAGE = "なし"
RESCUE_NO_COMMENT = "なし"
SAFETY_PEOPLE_N = "{n}人"
SAFETY_PEOPLE_MORE = "{n}人以上"
HOUSEHOLD_NAME = "{name}様"
HOUSEHOLD_MARKS = "（{marks}）"
MARKS_SEPARATOR = "・"
NAMES_SEPARATOR = "、"
BLOCK_HOUSEHOLD = "{block} {household}"
SAFETY_SINCE = "{month}/{day} {hour}:{minute:02d}"
SAFETY_ALL_ANSWERED = "全世帯が回答済みです。"
SAFETY_PHOTO_LINK = "写真{n}"
SAFETY_PROXY_TAG = "代理"
SAFETY_MAP_POPUP = "{block} {household}：{label}"
SAFETY_MAP_POPUP_COMMENT = "／{comment}"
SAFETY_MAP_POPUP_PROXY = "（{by}さんが代理で記録　{at}）"
SAFETY_COUNT = "{label} {n}"
SAFETY_PAGE_UNUSED = "災害モードはまだ使われていません。"
SAFETY_PAGE_HEADING = "安否状況：{kind}"
SAFETY_PAGE_ENDED = "終了しました。"
SAFETY_PAGE_REFRESH = "{n}秒ごとに自動で更新します。"
SAFETY_PAGE_CSV = "CSVで保存"
SAFETY_PAGE_MAP_NOTE = "地図：国土地理院。地図が出ないときも、下の表にすべての世帯が載っています。"
SAFETY_PAGE_COLUMNS = ("状況", "班", "世帯", "人数", "連絡事項", "回答")
SAFETY_PAGE_LOCATION = "位置"

# --- dates and times (handlers/messages/dates.py formats them; the only place formats live) ---
DATE_FULL = "{year}年{month}月{day}日"
DATE_MONTH_DAY = "{month}月{day}日"
DATETIME_WEEKDAY = "{month}月{day}日({weekday}) {hour}:{minute:02d}"  # 「12月5日(土) 10:00」
DATETIME_SHORT = "{month}月{day}日 {hour}:{minute:02d}"  # 「12月2日 9:00」
CLOCK_TODAY = "{hour}時{minute:02d}分"  # 「10時05分」
CLOCK_OTHER_DAY = "{month}月{day}日{hour}時{minute:02d}分"  # 「12月2日9時30分」
DATETIME_NUMERIC = "{year}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}"  # pages and CSV
DATETIME_NUMERIC_SHORT = "{month:02d}/{day:02d} {hour:02d}:{minute:02d}"  # the live safety table

# --- words: strays gathered from builders, pickers, officer, scheduler, models, bot/web (branch words) ---
WEEKDAYS = "月火水木金土日"  # dates.py: Monday first, as datetime.weekday() counts
CIRCULAR_CARD_HEADER = "{association} 回覧板"
BLOCK_NAMES_SEPARATOR = "・"  # 班 names chosen together: 「1班・2班」
STATUS_ERROR_UNKNOWN = "不明"  # LINE gave no error text
STATUS_UNREAD_MORE = " ほか{n}世帯"
TARGET_LABEL_NO_BLOCKS = "（班が未選択）"
ROLE_LABELS = {  # by models.Role code, in rank order (会長 first: `kairan roles list` sorts by it)
    "chair": "会長",
    "officer": "役員",
    "disaster_officer": "防災担当",
    "block_leader": "班長",
    "member": "会員",
    "prospective": "入会希望者",
}

# --- web pages: the admin sign-in and error pages (from bot/web/auth.py; branch words) ---
ADMIN_BAD_LINK = "このリンクは使えません。LINEで「管理画面」と送って、新しいリンクを受け取ってください。"
ADMIN_USED_LINK = ("このリンクはすでに使われたか、有効期限（10分）が切れています。"
                   "LINEで「管理画面」と送って、新しいリンクを受け取ってください。")
ADMIN_SIGN_IN = "管理画面を見るには、LINEで「管理画面」と送って、届いたリンクを開いてください。"
ADMIN_NOT_OFFICER = ("管理画面は役員・班長の方だけが使えます。"
                     "役員・班長の方は、LINEで「管理画面」と送って、新しいリンクを受け取ってください。")
ADMIN_EXPIRED = "ログインの有効時間（8時間）が過ぎました。LINEで「管理画面」と送って、新しいリンクを受け取ってください。"
ADMIN_CROSS_SITE = "この操作は受け付けられません。LINEで「管理画面」と送って、届いたリンクから開き直してください。"
ADMIN_LOGGED_OUT = "ログアウトしました。また使うときは、LINEで「管理画面」と送ってください。"
ADMIN_TITLE = "管理画面"  # the title of a message page
ADMIN_TITLE_SIGN_IN = "ログインが必要です"
ADMIN_TITLE_BAD_LINK = "リンクが使えません"
ADMIN_TITLE_LOGGED_OUT = "ログアウトしました"
ADMIN_NOT_FOUND = "ページが見つかりません。一覧から選び直してください。"
ADMIN_TITLE_NOT_FOUND = "見つかりません"

# --- web pages: CSV columns, the chart's label, the download's name (bot/web; branch words) ---
SAFETY_CSV_HEADER = ("班", "世帯", "要支援", "状況", "人数", "連絡事項", "回答者", "代理", "回答日時")
SAFETY_CSV_LOCATION_HEADER = ("緯度", "経度", "住所")  # only for those who may see locations
EV_CHART_LABEL = "回答の内訳"
# --- answers branch: names and titles put together (出欠, 集計, reminders) ---
ALT_TITLED = "{title}：{name}"  # a card's alt text: 「出欠のお願い：秋祭り」
PERSON_NAME = "{name}さん"  # who answered: 「山田さん」
EV_HEADS_SUFFIXES = "人名"  # a typed head count may end with these (「3人」「3名」)

# --- draft branch
REMINDER_CHOICE = "{n}日後"  # the preview's quick replies (回覧: days after the send)
REMINDER_SET = "リマインド: {n}日後"
PHOTO_NAME = "写真{n}.jpg"
READ_BY_SELF = "ご自身"
READ_BY_NAME = "{name}さん"
READ_BY_FAMILY = "ご家族"

# --- lead: the last strays of the drafting flows ---
CIRCULAR_FULL_TEXT = "【{title}】\n{body}"  # a circular's whole text in chat ([全文を見る])
TARGET_OFFICERS_SHORT = "役員"  # typed in the 出欠 form's 対象: the same as 役員のみ
PAPER_LIST_LINE = "・{household}様"  # one household of a block leader's paper list
CMD_REMINDER = "リマインド"  # typed at a preview: 「リマインド 3日後」


# --- city staff (issue 11: 市の担当者 — sign-in, 市からのお知らせ, the city pages) ---
CITY_TITLE = "市の管理画面"
CITY_HONORIFIC = "さん"
CITY_ADMIN_LINK = "市の管理画面を開くリンクです（10分間、1回だけ使えます）。ほかの人には送らないでください。"
CITY_ADMIN_OPEN = "市の管理画面を開く"
CITY_STAFF_ONLY = "申し訳ありません。この操作は市の担当者だけができます。"
CITY_LOGIN_TITLE = "ログイン"
CITY_LOGIN_HEADING = "市の管理画面にログインします"
CITY_LOGIN_PRESS = "下のボタンを押してください。"
CITY_LOGIN_BUTTON = "ログインする"
CITY_LOGIN_ONCE = "このリンクは10分間、1回だけ使えます。ほかの人には送らないでください。"
CITY_BAD_LINK = "このリンクは使えません。LINEで「管理画面」と送って、新しいリンクを受け取ってください。"
CITY_USED_LINK = ("このリンクはすでに使われたか、有効期限（10分）が切れています。"
                  "LINEで「管理画面」と送って、新しいリンクを受け取ってください。")
CITY_SIGN_IN = "市の管理画面を見るには、LINEで「管理画面」と送って、届いたリンクを開いてください。"
CITY_NOT_STAFF = "市の管理画面は市の担当者だけが使えます。"
CITY_EXPIRED = "ログインの有効時間（8時間）が過ぎました。LINEで「管理画面」と送って、新しいリンクを受け取ってください。"
CITY_SIGNED_OUT = "ログアウトされています。LINEで「管理画面」と送って、新しいリンクを受け取ってください。"
CITY_CROSS_SITE = "この操作は受け付けられません。LINEで「管理画面」と送って、届いたリンクから開き直してください。"
CITY_LOGGED_OUT = "ログアウトしました。また使うときは、LINEで「管理画面」と送ってください。"
CITY_TITLE_SIGN_IN = "ログインが必要です"
CITY_TITLE_BAD_LINK = "リンクが使えません"
CITY_TITLE_LOGGED_OUT = "ログアウトしました"
CITY_NOT_FOUND = "ページが見つかりません。一覧から選び直してください。"
CITY_TITLE_NOT_FOUND = "見つかりません"
CITY_NAV_NOTICES = "市からのお知らせ"
CITY_HOME_TITLE = "自治会の状況"
CITY_TOTALS = "{associations}の自治会・町内会　LINE登録 {registered}世帯／{households}世帯"
CITY_AGGREGATES_ONLY = "ここには件数と割合だけを表示します。住民の方の個人情報は表示しません。"
CITY_DISASTER_ACTIVE = "{association}：災害モード中（{kind}）"
CITY_TAG_DISASTER = "災害モード中"
CITY_CHANNEL_OWN = "自治会の公式アカウントを使っています"
CITY_CHANNEL_CITY = "市の公式アカウントを使っています"
CITY_REGISTERED = "LINE登録 {registered}世帯／{households}世帯"
CITY_CIRCULAR_RATE = "最近30日の回覧の既読率"
CITY_NOTICE_RATE = "最近30日の市からのお知らせの既読率"
CITY_NONE_RECENT = "ありません"
CITY_NO_ASSOCIATIONS = "まだ自治会・町内会が登録されていません。"
CITY_NOTICES_HINT = "お知らせを送るには、LINEで「お知らせ」と送ってください。"
CITY_READ_OF = "{total}件中{read}件が既読"
CITY_NO_NOTICES = "まだお知らせを送っていません。"
CITY_PER_ASSOCIATION = "自治会ごとの既読"
CITY_COL_ASSOCIATION = "自治会"
CITY_COL_READ = "既読"
CITY_COL_UNREAD = "まだ読んでいない方"
CITY_ALL_READ = "全員が読みました"
CITY_CHAIR_UNREAD = "会長がまだ読んでいません（{n}人）"
CITY_HOUSEHOLDS_UNREAD = "{n}世帯がまだ読んでいません"
CITY_NAMES_NOTE = "お名前は、市への情報提供に同意した自治会の分だけ表示します。"
CITY_BACK_TO_NOTICES = "お知らせの一覧に戻る"
NOTICE_AUDIENCE_LABELS = {"chairs": "自治会の会長あて", "residents": "住民の皆さんあて"}
CITY_NAV_HOME = "ホーム"
CMD_NOTICE = "お知らせ"  # a city staff member starts a city notice
NOTICE_CARD_HEADER = "{municipality}からのお知らせ"
NOTICE_ALT = "市からのお知らせ：{title}"
NOTICE_ASK_TITLE = "市からのお知らせを作ります。タイトルを送ってください。\n（やめるときは「取消」）"
NOTICE_ASK_WHOM = ("だれに送りますか。\n自治会の公式アカウントを使う自治会には、会長あてだけ送れます"
                   "（その自治会の月の通数を使います）。")
NOTICE_TO_ALL_CHAIRS = "全自治会の会長"
NOTICE_TO_SOME_CHAIRS = "選んだ自治会の会長"
NOTICE_TO_RESIDENTS = "選んだ自治会の全世帯"
NOTICE_PICK = "送る自治会を押して選び、最後に「決定」を押してください。\n選んだ自治会：{chosen}"
NOTICE_PICK_NONE = "自治会がまだ選ばれていません。"
NOTICE_PICKED = "✓"
NOTICE_PREV = "前へ"
NOTICE_PICK_DONE = "決定"
NOTICE_PREVIEW_SUMMARY = "送信先：{audience}\n自治会：{associations}件　受け取り：{receipts}件（LINEで{pushes}人）"
NOTICE_COST_HEADER = "送る通数（公式アカウントごと）："
NOTICE_COST_CITY = "・市の公式アカウント：{pushes:,}通"
NOTICE_COST_OWN = "・{association}の公式アカウント：{pushes:,}通"
NOTICE_COST_REMAINING = "（今月の残り{remaining:,}通）"
NOTICE_COST_OWN_NOTE = ("自治会の公式アカウントから送る分は、その自治会の月の通数を使います。"
                        "減らすときは「修正」から送信先を選び直してください。")
NOTICE_CITY_CHANNEL = "市"
NOTICE_QUOTA_SHORT = "{whose}の公式アカウント：今月の残り{remaining:,}通に対し、{pushes:,}通が必要です。"
NOTICE_SENT = "お知らせを送りました（{associations}の自治会、{receipts}件、LINEで{pushes}人）。"
NOTICE_CANCELLED = "お知らせの下書きを取り消しました。"
NOTICE_GONE = "このお知らせは見つかりませんでした。"
NOTICE_NOT_FOR_YOU = "このお知らせはお届け先に含まれていません。"
NOTICE_READ_ALREADY = "「{title}」は{when}に既読にしています。"
NOTICE_ATTACHMENTS = "添付"
NOTICE_OPEN_FILE = "{filename} を開く"
NOTICE_PAGE_READ = "このページを開いたので、このお知らせは既読になりました。"
# the `kairan city-staff` commands (bot/city_cli.py): printed to the operator
CLI_NO_MUNICIPALITY = "市区町村「{name}」がありません（kairan municipality add で追加してください）"
CLI_BAD_USER_ID = "LINEのユーザーIDは U で始まる33文字です"
CLI_STAFF_ELSEWHERE = "このLINEユーザーはほかの市区町村の担当者です"
CLI_STAFF_GRANTED = "{municipality}の担当者にしました: {user}"
CLI_STAFF_REVOKED = "{municipality}の担当者から外しました: {user}"
CLI_STAFF_NONE = "この市区町村の担当者ではありません"
CLI_STAFF_EMPTY = "担当者はいません"
CLI_STAFF_HEADER = ("市区町村", "LINEユーザーID", "名前", "状態")
CLI_ACTIVE = "有効"
CLI_INACTIVE = "停止"
CLI_ERROR = "エラー: {message}"
# --- registry (自治会台帳): fields, the officers' and city pages, the CSV, 「会長交代」, the CLI (registry part) ---
REGISTRY_FIELDS = {  # by models.registry field key, in the page's and the CSV's order (the CSV's header)
    "name": "自治会名",
    "name_kana": "自治会名ふりがな",
    "chair_name": "会長氏名",
    "chair_kana": "会長ふりがな",
    "chair_postcode": "会長郵便番号",
    "chair_address": "会長住所",
    "chair_phone": "会長電話番号",
    "chair_since": "会長就任日",
    "predecessor_name": "前会長氏名",
    "predecessor_contact": "前会長連絡先",
    "circular_name": "回覧物受取担当者氏名",
    "circular_address": "回覧物受取担当者住所",
    "circular_phone": "回覧物受取担当者電話番号",
    "poster_name": "ポスター受取担当者氏名",
    "poster_address": "ポスター受取担当者住所",
    "poster_phone": "ポスター受取担当者電話番号",
    "circular_copies": "回覧物部数",
    "poster_copies": "ポスター部数",
    "households": "世帯数",
    "group_count": "班・組の数",
    "boards": "掲示板の数",
    "federation": "区分",
    "apartment": "マンション・団地",
    "area": "区域",
    "status": "状態",
    "notes": "備考",
}
REGISTRY_SECTIONS = {  # the page's groups of fields
    "association": "自治会",
    "chair": "会長",
    "predecessor": "前会長",
    "circular": "回覧物の受取担当者",
    "poster": "ポスターの受取担当者",
    "numbers": "部数・世帯数など",
    "other": "その他",
}
REGISTRY_FLAG_WORDS = {"federation": ("連合会加入", "未加入"), "apartment": ("該当", "非該当")}  # (yes, no)
REGISTRY_STATUS_WORDS = {"active": "活動中", "dissolved": "解散"}
REGISTRY_UNSET = "未記入"  # an empty field on the page
REGISTRY_EMPTY = "（空欄）"  # an empty value in the history
REGISTRY_HINTS = {  # what a field takes, shown under its input and in an error
    "int": "数字で入力してください（例：120）",
    "date": "年-月-日で入力してください（例：2026-04-01）",
    "postcode": "7けたの数字で入力してください（例：650-0001）",
    "phone": "数字とハイフンで入力してください（例：078-123-4567）",
    "flag": "一覧から選んでください",
    "status": "一覧から選んでください",
    "text": "{size}文字以内で入力してください",
}
REGISTRY_BAD_VALUE = "「{label}」が正しくありません。{hint}"
REGISTRY_NAME_NEEDED = "「自治会名」は空欄にできません。"
REGISTRY_VIA = {"web": "管理画面", "chat": "LINE", "csv": "CSV取込", "cli": "コマンド"}
REGISTRY_ACTOR_MEMBER = "{name}（{role}）"
REGISTRY_ACTOR_STAFF = "{name}（{municipality}の担当者）"
REGISTRY_ACTOR_STAFF_NO_NAME = "{municipality}の担当者"
REGISTRY_ACTOR_OPERATOR = "システム管理者"
REGISTRY_NO_NAME = "名前なし"
POSTCODE_MARK = "〒"  # typed before a postcode: 〒650-0001
# the officers' page
NAV_REGISTRY = "台帳"
REGISTRY_TITLE = "自治会台帳"
REGISTRY_LEAD = "市に届けている自治会の情報です。会長や担当者が代わったら、ここで直してください。市の担当者も同じ内容を見ます。"
REGISTRY_EDIT = "台帳を直す"
REGISTRY_SAVE = "保存する"
REGISTRY_BACK = "← 台帳へ戻る"
REGISTRY_SAVED = "{n}項目を保存しました。"
REGISTRY_NOTHING_CHANGED = "変わった項目はありませんでした。"
REGISTRY_FIX_ERRORS = "直すところがあります。赤い字の説明を見てください。"
REGISTRY_HISTORY = "変更の記録"
REGISTRY_HISTORY_NONE = "まだ変更の記録はありません。"
REGISTRY_HISTORY_HEAD = ("日時", "変えた人", "項目", "変更前", "変更後")
REGISTRY_HISTORY_MORE = "新しい順に{n}件まで表示しています。"
REGISTRY_BOARD_ONLY = "自治会台帳は会長・役員の方だけが見られます。"
REGISTRY_CHOOSE = "選んでください"
REGISTRY_PERSONAL_NOTE = "個人の連絡先は空欄でもかまいません。この自治会の会長・役員と市の担当者だけが見ます。"
# CSV (the city's sheet of every association; import with a preview)
REGISTRY_CSV_ID = "自治会ID"  # the first column: which association a row is
REGISTRY_CSV_EMPTY = "CSVファイルに内容がありません。"
REGISTRY_CSV_ENCODING = "CSVファイルの文字コードが読めません。UTF-8かShift_JISで保存してください。"
REGISTRY_CSV_NO_ID = "1行目に「自治会ID」の列がありません。書き出したCSVの1行目をそのまま使ってください。"
REGISTRY_CSV_UNKNOWN_COLUMN = "1行目の「{column}」は台帳の項目ではありません。"
REGISTRY_CSV_DUPLICATE_COLUMN = "1行目に「{column}」が2回あります。"
REGISTRY_CSV_BAD_ID = "{line}行目：自治会ID「{value}」はこの市町村の自治会ではありません。"
REGISTRY_CSV_DUPLICATE_ID = "{line}行目：自治会ID「{value}」が2回出てきます。"
REGISTRY_CSV_LINE = "{line}行目：{error}"
REGISTRY_CSV_TOO_LONG = "CSVファイルが大きすぎます。"
# the city's pages
REGISTRY_CITY_TITLE = "自治会台帳（{municipality}）"
REGISTRY_CITY_LEAD = "{municipality}のすべての自治会の台帳です。自治会名を押すと、内容と変更の記録が見られます。"
REGISTRY_CITY_HEAD = ("自治会", "会長", "回覧物部数", "世帯数", "状態", "最終更新")
REGISTRY_CITY_NONE = "この市町村には、まだ自治会がありません。"
REGISTRY_EXPORT = "CSVで書き出す（Excel用）"
REGISTRY_IMPORT = "CSVを取り込む"
REGISTRY_IMPORT_LEAD = "書き出したCSVをExcelで直して、ここで取り込みます。取り込む前に、変わるところを確認できます。"
REGISTRY_IMPORT_FILE = "CSVファイル"
REGISTRY_IMPORT_PREVIEW = "変わるところを確認する"
REGISTRY_PREVIEW_TITLE = "取り込みの確認"
REGISTRY_PREVIEW_LEAD = "次の{n}項目が変わります（{associations}自治会）。よければ「取り込む」を押してください。"
REGISTRY_PREVIEW_HEAD = ("自治会", "項目", "変更前", "変更後")
REGISTRY_PREVIEW_NONE = "CSVの内容は今の台帳と同じです。変わるところはありません。"
REGISTRY_PREVIEW_STALE = "確認のあとで台帳が変わりました。もう一度、変わるところを確認してください。"
REGISTRY_IMPORT_CONFIRM = "取り込む"
REGISTRY_IMPORTED = "{n}項目を取り込みました（{associations}自治会）。"
REGISTRY_BACK_TO_LIST = "← 自治会の一覧へ"
# 「会長交代」 in chat (the chair, after the yearly general meeting)
CMD_CHAIR_CHANGE = "会長交代"
CHAIR_CHANGE_CHAIR_ONLY = "会長交代の登録は、会長の方だけができます。"
CHAIR_CHANGE_NO_ASSOCIATION = "自治会が決まっていないため、会長交代は登録できません。"
CHAIR_ASK_NAME = "会長交代を登録します。新しい会長のお名前を送ってください（例：山田 太郎）。\nやめるときは「取消」と送ってください。"
CHAIR_ASK_KANA = "{name}さんのふりがなを送ってください（例：やまだ たろう）。わからないときは「省略」を押してください。"
CHAIR_ASK_PHONE = "{name}さんの電話番号を送ってください（例：078-123-4567）。登録しないときは「省略」を押してください。"
CHAIR_ASK_SINCE = "{name}さんは、いつから会長ですか。"
CHAIR_BAD_NAME = "お名前は{size}文字以内で送ってください。"
CHAIR_BAD_PHONE = "電話番号は数字とハイフンで送ってください（例：078-123-4567）。登録しないときは「省略」を押してください。"
CHAIR_SKIP = "省略"
CHAIR_TODAY = "今日から"
CHAIR_PICK_DATE = "日付を選ぶ"
CHAIR_CONFIRM_TITLE = "会長交代の確認"
CHAIR_CONFIRM = ("新しい会長：{name}{kana}\n電話番号：{phone}\n就任日：{since}\n前の会長：{predecessor}\n\n"
                 "この内容で台帳に登録しますか。前の会長の住所・郵便番号は台帳から消えます。")
CHAIR_KANA = "（{kana}）"
CHAIR_NONE = "なし"
CHAIR_YES = "登録する"
CHAIR_NO = "やめる"
CHAIR_DONE = ("会長交代を台帳に登録しました。役員の方にもお知らせしました。"
              "新しい会長の住所などは「管理画面」の「台帳」で入力できます。"
              "kairanでの会長の役割の引き継ぎは、システムの管理者にご依頼ください。")
CHAIR_KEPT = "会長交代の登録をやめました。台帳は変わっていません。"
CHAIR_TOLD_OFFICERS = "【会長交代】{association}の会長が{name}さんになりました（{since}から）。前の会長は{predecessor}さんです。"
# `kairan registry` (printed to the operator)
REGISTRY_CLI_NO_MUNICIPALITY = "市町村「{name}」はありません"
REGISTRY_CLI_PREVIEW = "{n}項目が変わります（{associations}自治会）。取り込むには --apply をつけてください"
REGISTRY_CLI_APPLIED = "{n}項目を取り込みました（{associations}自治会）"
REGISTRY_CLI_NOTHING = "変わるところはありません"
REGISTRY_CLI_MIXED = "CSVに複数の市町村の自治会があります。--municipality で市町村を指定してください"
REGISTRY_CLI_NO_ROWS = "CSVに自治会の行がありません"
REGISTRY_CLI_LINE = "{association}｜{field}：{before} → {after}"
# --- city channel: registration picks the association (地区 → 自治会 → 班, or a 登録コード) ---
PREV = "前へ"
DISTRICT_OTHER = "その他"  # associations without a 地区
ASK_DISTRICT = ("お住まいの地区を選んでください。\n"
                "登録コードをお持ちの方は「登録コード 1234-5678-9012」のように送ってください。")
ASK_ASSOCIATION = ("お住まいの自治会・町内会を選んでください。\n"
                   "登録コードをお持ちの方は「登録コード 1234-5678-9012」のように送ってください。")
ASK_ASSOCIATION_IN = "{district}ですね。\nお住まいの自治会・町内会を選んでください。"
ASSOCIATION_CHOSEN = "{association}ですね。"  # before the 班 question
REPICK_ASSOCIATION = "自治会を選び直す"
REPICK_DISTRICT = "地区を選び直す"
NO_ASSOCIATIONS = "こちらで登録できる自治会・町内会はまだありません。お住まいの自治会の役員にお問い合わせください。"
CITY_DECLINED = (
    "承知しました。登録は行いません（何も記録していません）。\n"
    "気が変わったら、いつでも何か送ってください。"
)

# --- the privacy notice of a city channel's associations (bot/web/pages.py) ---
PRIVACY_CITY_ASSOCIATIONS = "{city}の自治会・町内会"

# --- a city notice's printed copies (bot/web/templates/city/notice.html) ---
CITY_PAPER_TITLE = "紙でお届けする回覧物"
CITY_PAPER_NOTE = "印刷した回覧物は、各自治会の回覧物受取担当者へお届けください（自治会台帳の内容です）。"
CITY_COL_RECIPIENT = "回覧物受取担当者"
CITY_COL_COPIES = "部数"
CITY_RECIPIENT_UNKNOWN = "（台帳に未登録）"
CITY_PAPER_TOTAL = "合計 {n}部"

# --- what a city staff member (市の担当者) can do (handlers/registration/membership.py) ---
HELP_CITY_STAFF = (
    "市の担当者メニュー：\n「お知らせ」市からのお知らせを送る\n「管理画面」市の管理画面を開く"
)


# --- the officers' dashboard (issue 12): the navigation bar and the home page ----------------------
NAV_ARCHIVE = "回覧"
NAV_ROSTER = "名簿"
NAV_NEEDS_CHECK = "要確認世帯"
NAV_APPROVALS = "承認待ち"
NAV_ROLES = "役職"
NAV_HANDOVER = "年度替わり"
NAV_PRINTS = "印刷"
NAV_AUDIT = "操作の記録"
HOME_TITLE = "ホーム"
HOME_WAITING = "お願いしたいこと"
HOME_NOTHING_WAITING = "いま、お願いしたいことはありません。"
HOME_PENDING = "承認を待っている人が {n}人 います"
HOME_NEEDS_CHECK = "LINEも紙も届いていない世帯が {n}世帯 あります（要確認世帯）"
HOME_FAILED = "送れなかったメッセージが {n}件 あります"
HOME_HELD = "今月の送信数の上限で止まっているメッセージが {n}件 あります"
HOME_LATEST_CIRCULARS = "最近の回覧"
HOME_LATEST_EVENTS = "最近の行事"
HOME_ALL_CIRCULARS = "回覧をすべて見る"
HOME_ALL_EVENTS = "行事をすべて見る"
HOME_ANSWERED = "回答 {answered}/{total}（{rate}%）"
HOME_NO_EVENTS = "まだ送信した行事はありません。"
# 操作の記録 (bot/web/audit_page.py): the audit log's words; each action key's words (models/audit.py)
AUDIT_ACTIONS: dict[str, str] = {
    "admin.link": "管理画面のリンクを発行", "circular.send": "回覧を送信", "event.send": "出欠確認を送信",
    "event.proxy": "出欠の代理回答", "disaster.start": "災害モードを開始", "disaster.end": "災害モードを終了",
    "safety.proxy": "安否の代理入力", "member.consent": "同意", "member.join_code": "登録コードで登録",
    "member.join_code_wrong": "登録コードの誤り", "join_code.channel_paused": "登録コードの受付を一時停止",
    "member.matched": "名簿と一致して登録", "member.pending": "承認待ちに", "member.approve": "入会を承認",
    "member.reject": "入会を却下", "member.unlink": "登録の取り消し", "member.withdraw": "退会",
    "registry.chair_change": "会長交代", "notice.send": "市のお知らせを送信", "role.grant": "役職を付与",
    "join_codes.renew": "登録コードを一斉更新", "association.share_with_city": "市への名前の共有",
    "channel.add": "LINEチャネルを追加", "channel.rotate": "チャネルの鍵を更新",
}
# the fields of a change's before → after (keys not listed show as they are)
AUDIT_FIELDS: dict[str, str] = {
    "name": "氏名", "block": "班", "block_id": "班", "paper": "紙で受け取る", "needs_support": "要支援",
    "on_line": "LINE", "role": "役職", "status": "状態", "household": "世帯", "category": "分類",
}
AUDIT_INTRO = "役員が行った変更の記録です。新しい順に並んでいます。"
AUDIT_BOARD_ONLY = "操作の記録は、会長・役員・防災担当の方だけが見られます。"
AUDIT_FILTER_WHO = "操作した人"
AUDIT_FILTER_ACTION = "操作の種類"
AUDIT_FILTER_FROM = "この日から"
AUDIT_FILTER_TO = "この日まで"
AUDIT_FILTER_GO = "絞り込む"
AUDIT_ALL = "すべて"
AUDIT_CSV = "CSVでダウンロード"
AUDIT_NONE = "記録はありません。"
AUDIT_MORE = "新しい順に{n}件まで表示しています。すべては CSV でダウンロードできます。"
AUDIT_CSV_HEADER = ["日時", "操作した人", "操作", "対象", "内容"]
AUDIT_SYSTEM = "システム"
AUDIT_GONE = "退会した方"
AUDIT_TARGET_MEMBER = "{name}さん"
AUDIT_YES = "はい"
AUDIT_NO = "いいえ"
AUDIT_JOIN = "、"  # between the changed fields of one row
ADMIN_LOGIN_BUTTON = "ログインする"

# --- dashboard: paper (印刷: the paper round's printable lists, proxy entry, join sheets) ---
PRINTS_TITLE = "印刷"
PRINTS_INTRO = "紙で配る方のための印刷物です。印刷して戸別に回り、チェックしたことはあとで「記録する」から入力できます。"
PRINTS_PICK_BLOCK = "班を選んでください。"
PRINTS_BLOCK = "{block}の印刷物"
PRINTS_CIRCULARS = "回覧（読みました の確認表）"
PRINTS_EVENTS = "行事の出欠表"
PRINTS_SAFETY = "安否確認の確認表"
PRINTS_JOIN = "LINE登録の案内（世帯ごとに1枚）"
PRINTS_JOIN_LINK = "{block}の全世帯分を開く"
PRINTS_JOIN_NEW = "まだ誰もLINEに登録していない世帯の分だけ開く"
PRINTS_PRINT = "印刷用を開く"
PRINTS_RECORD = "記録する"
PRINTS_NONE = "まだありません。"
PRINTS_PAPER_COUNT = "紙の世帯 {n}"
PRINTS_HOW = "印刷するには、ブラウザのメニューから「印刷」を選んでください（A4）。"
PRINTS_BACK = "印刷のメニューへ戻る"
PRINT_COL_NO = "番号"
PRINT_COL_HOUSEHOLD = "世帯"
PRINT_COL_READ = "読みました"
PRINT_COL_NOW = "いまの状況"
PRINT_COL_HEADS = "人数"
PRINT_COL_SUPPORT = "要支援"
PRINT_COL_TIME = "時刻"
PRINT_COL_VISITOR = "確認した人"
PRINT_READ_ALREADY = "既読"
PRINT_PAPER_MARK = "紙"
PRINT_SUPPORT_MARK = "要支援"
PRINT_HEADS_BLANK = "　　人"
PRINT_SENT_ON = "{date} 発行"
PRINT_CIRCULAR_HEAD = "{association} 回覧板（{block}）"
PRINT_CIRCULAR_ASK = "読みましたら、お名前の横の □ に印をつけて、次のお宅へ回してください。"
PRINT_NO_PAPER = "この班には紙で受け取る世帯がありません。"
PRINT_ATTACHMENTS = "この回覧には添付が{n}件あります。回覧の画面から開いて、別に印刷してお配りください。"
PRINT_EVENT_HEAD = "{association} 行事の出欠表（{block}）"
PRINT_EVENT_WHEN = "日時：{when}"
PRINT_EVENT_PLACE = "場所：{place}"
PRINT_EVENT_DEADLINE = "締め切り：{when}"
PRINT_EVENT_ASK = "参加・不参加・未定のどれかに印をつけてください。参加の方は人数も書いてください。"
PRINT_SAFETY_HEAD = "{association} 安否確認表（{block}）"
PRINT_SAFETY_KIND = "{kind}（{since}から）"
PRINT_SAFETY_ENDED = "この災害モードは終了しています。"
PRINT_SAFETY_ASK = "要支援の世帯から順に回ってください。状況に印をつけ、時刻と確認した人の名前を書いてください。"
PRINT_SAFETY_BOXES = {"safe": "無事", "evacuated": "避難", "injured": "けが", "rescue": "救助"}
PRINT_SAFETY_NONE = "災害モードはまだ一度も始めていません。"
PRINT_EMPTY = "この班に対象の世帯はありません。"
RECORD_TITLE_CIRCULAR = "読みましたの記録：{title}"
RECORD_TITLE_EVENT = "出欠の記録（代理回答）：{name}"
RECORD_TITLE_SAFETY = "安否の記録（代理）"
RECORD_CIRCULAR_HINT = "紙で「読みました」に印があった世帯を選んで、「記録する」を押してください。"
RECORD_EVENT_HINT = "紙に書かれた回答を選んでください。選ばなかった世帯はそのままです。"
RECORD_SAFETY_HINT = "確認できた状況を選んでください。選ばなかった世帯はそのままです。あなたの名前と今の時刻で代理の記録になります。"
RECORD_KEEP = "そのまま"
RECORD_SAVE = "記録する"
RECORD_SAVED = "{n}世帯の記録を保存しました。"
RECORD_NOTHING = "選ばれた世帯がありませんでした。何も変えていません。"
RECORD_BAD_HEADS = "人数は 1 から {max} までの数字で入力してください。何も変えていません。"
RECORD_EVENT_CLOSED = "この行事は締め切りを過ぎたため、回答を記録できません。"
RECORD_SAFETY_CLOSED = "災害モードが終わっているため、安否を記録できません。"
RECORD_BY_PROXY = "代理"
RECORD_VIA_LINE = "LINE"
PRINT_NOW_BY = "（{who}）"  # after the answer so far: who gave it (LINE or 代理)
JOIN_TITLE = "LINE登録の案内"
JOIN_HEAD = "{association}の回覧板をLINEで受け取れます"
JOIN_TO = "{household} 様（{block}）"
JOIN_CODE = "登録コード"
JOIN_STEPS = (
    "① スマートフォンのカメラでQRコードを読み取り、「追加」を押してください。",
    "② 届いたメッセージの「同意する」を押してください。",
    "③ 「登録コード」と下の番号を送ってください。",
)
JOIN_EXAMPLE = "例：登録コード {code}"
JOIN_ASK = "わからないときは、班長または役員にお声がけください。"
JOIN_NO_FRIEND_URL = ("友だち追加のQRコードが設定されていません。技術担当の方に "
                      "「kairan channel add … --friend-url URL」または「kairan channel friend-url」で設定してもらってください。")
JOIN_NO_FRIEND_URL_SHEET = "LINEの友だち追加の方法は、班長または役員にお聞きください。"
JOIN_REISSUE = "登録コードを作り直す"
JOIN_REISSUE_TITLE = "登録コードの作り直し：{household} 様"
JOIN_REISSUE_WARN = "作り直すと、今のコード（{code}）は使えなくなります。配った紙はすべて新しいものに取り替えてください。"
JOIN_REISSUE_CONFIRM = "作り直す"
JOIN_REISSUED = "新しい登録コードは {code} です。古いコードはもう使えません。"
JOIN_OPEN_ONE = "この世帯の案内だけを開く"
AUDIT_ACTIONS.update({
    "circular.paper_read": "紙の回覧の既読を記録",
    "event.proxy": "出欠の代理回答",
    "safety.proxy": "安否の代理記録",
    "household.join_code": "登録コードを作り直し",
})
# --- dashboard: archive (回覧の一覧・訂正・中止・延期) ---
CIRCULAR_CATEGORIES: dict[str, str] = {
    "event": "行事", "safety": "防災・防犯", "general_meeting": "総会", "garbage": "ごみ", "condolence": "おくやみ",
    "other": "その他",
}
FIELD_CATEGORY = "分類"
ASK_CATEGORY = "回覧の分類を選んでください。"
PREVIEW_CATEGORY = "分類：{category}"
CHANGE_CATEGORY = "分類を変える"
ARCHIVE_INTRO = "送った回覧の一覧です。新しい順に並んでいます。題名を押すと、全文とまだ読んでいない世帯がわかります。"
ARCHIVE_SEARCH = "題名・本文でさがす"
ARCHIVE_SEARCH_GO = "さがす"
ARCHIVE_CATEGORY_ALL = "すべての分類"
ARCHIVE_NONE_FOUND = "見つかりませんでした。言葉を変えてお試しください。"
ARCHIVE_PAGE = "{first}〜{last}件目（全{total}件）"
ARCHIVE_NEWER = "← 新しい回覧"
ARCHIVE_OLDER = "古い回覧 →"
ARCHIVE_CORRECTED = "訂正あり"
ARCHIVE_ATTACHMENTS = "添付"
FIX_KIND_WORDS = {"circular": "回覧", "event": "出欠確認"}
FIX_ACTION_WORDS = {"correct": "訂正", "cancel": "中止", "postpone": "延期"}
FIX_MARKS = {"correct": "【訂正】", "cancel": "【中止】", "postpone": "【延期】"}
FIX_NOTICE = "{mark}{kind}「{title}」\n{note}"
FIX_NOTICE_BODY = "\n\n内容は「全文を見る」でご確認ください。"
FIX_FULL = "全文を見る"
FIX_CHIP = "訂正：{title}"
FIX_WHAT = "「{title}」をどうしますか。\n訂正・中止・延期のお知らせは、これを受け取った全員に届きます。"
FIX_ASK_NOTE = ("{action}のお知らせに書く内容を、短く送ってください（{max}字まで）。\n"
                "例：集合時間は9時ではなく9時半です")
FIX_NOTE_TOO_LONG = "{max}字までにしてください。もう一度お送りください。"
FIX_COST = ("{mark}のお知らせを送ります。\n"
            "LINEで{pushes}通（今月の残り：{remaining}）\n"
            "紙の{paper}世帯は、班長さんにお知らせします（{leaders}通）。")
FIX_COST_UNKNOWN = "わかりません"
FIX_COST_LEFT = "{n}通"
FIX_CONFIRM_TITLE = "{action}のお知らせを送りますか？"
FIX_SEND = "送る"
FIX_DONE = "{action}のお知らせを送りました（LINE {pushes}通・紙 {paper}世帯）。"
FIX_CANCELLED = "訂正・中止・延期をやめました。何も送っていません。"
FIX_NOT_YOURS = "訂正・中止・延期ができるのは、送った方と会長・役員だけです。"
FIX_GONE = "この回覧・出欠確認は見つかりませんでした。"
FIX_ALREADY_HALTED = "「{title}」はすでに{action}になっています。"
FIX_PAPER_LIST = "{mark}「{title}」（{block}）\n{note}\n紙の世帯にお知らせください：\n{names}"
FIX_CORRECTED_BODY = "{body}\n\n【訂正 {date}】{note}"
FIX_NOTE_LABEL = "お知らせに書く内容（短く）"
FIX_TITLE_LABEL = "題名"
FIX_BODY_LABEL = "本文（訂正後）"
FIX_EVENT_NOTE_LABEL = "連絡事項（訂正後）"
FIX_HISTORY = "訂正の記録"
FIX_ORIGINAL = "もとの文（送ったとき）"
FIX_FORM_INTRO = "訂正後の文を書いてください。お知らせに書く内容は、受け取った全員に届きます。"
FIX_CONFIRM_INTRO = "まだ送っていません。内容と通数を確かめて「送る」を押してください。"
FIX_NOTE_EMPTY = "お知らせに書く内容を入れてください。"
FIX_NOTHING_CHANGED = "本文が変わっていません。訂正するところを書き直してください。"
FIX_SAVED = "{action}のお知らせを送りました。"
FIX_NEXT = "次へ（通数を確かめる）"
FIX_DO = "{action}する"
FIX_BACK = "← もどる"
FIX_PAPER_ON_PAGE = "紙で受け取る世帯には、班長さんから伝えてください："
EV_HALTED = {"cancel": "「{name}」は中止になりました。回答は受け付けていません。\n{note}",
             "postpone": "「{name}」は延期になりました。回答は受け付けていません。\n{note}"}
EV_HALT_MARK = {"cancel": "（中止）", "postpone": "（延期）"}
AUDIT_ACTIONS.update({
    "circular.correct": "回覧を訂正", "event.correct": "出欠確認を訂正", "event.cancel": "行事を中止",
    "event.postpone": "行事を延期",
})
# --- dashboard: people (承認待ち, 役職, 年度替わり: bot/web/people*.py) ---
APPROVALS_INTRO = "LINEで登録を申し込み、名簿で見つからなかった方です。世帯を選んで承認するか、却下してください。"
APPROVALS_NONE = "承認を待っている方はいません。"
APPROVALS_TYPED_NAME = "入力されたお名前"
APPROVALS_BLOCK = "選んだ班"
APPROVALS_SINCE = "申し込み"
APPROVALS_CLOSE = "名簿の近い世帯"
APPROVALS_CLOSE_NONE = "名簿に近い名前の世帯はありません。"
APPROVALS_OTHERS = "この班のほかの世帯"
APPROVALS_PICK = "どの世帯の方ですか"
APPROVALS_SAME_NAME = "同じ名前"
APPROVALS_SAME_FAMILY = "同じ名字"
APPROVALS_NEW_HOUSEHOLD = "新しい世帯として登録する（{name}様の世帯）"
APPROVALS_APPROVE = "承認する"
APPROVALS_REJECT = "却下する"
APPROVALS_REJECT_NOTE = "却下すると、この方の情報はすべて消えます。ご本人にはLINEでお知らせします。"
APPROVALS_REJECT_SURE = "{name}さん（{block}）の申請を却下しますか？"
APPROVALS_REJECT_YES = "却下する（元に戻せません）"
APPROVALS_PICK_FIRST = "世帯を選んでから「承認する」を押してください。"
APPROVALS_APPROVED = "{name}さんを承認しました（{household}様の世帯）。ご本人にLINEでお知らせします。"
APPROVALS_REJECTED = "申請を却下しました。ご本人にLINEでお知らせします。"
APPROVALS_BACK = "承認待ちの一覧へ戻る"
ROLES_INTRO = "役職のある方の一覧です。役職を変えると、その方の次の操作から変わり、ご本人にLINEでお知らせします。"
ROLES_NONE = "役職のある方はいません。"
ROLES_NAME = "氏名"
ROLES_BLOCK = "班"
ROLES_ROLE = "役職"
ROLES_REVOKE = "役職を外す"
ROLES_GRANT_TITLE = "役職を付ける・変える"
ROLES_WHO = "どなたに"
ROLES_WHICH = "どの役職に"
ROLES_WHICH_BLOCK = "班長のときは、どの班の班長か"
ROLES_OWN_BLOCK = "その方の班"
ROLES_SUBMIT = "この役職にする"
ROLES_PICK = "選んでください"
ROLES_MEMBER_LABEL = "{name}（{block}）"  # a member in the pickers: name and 班
ROLES_DONE = "{name}さんの役職を変えました：{before} → {after}"
ROLES_UNCHANGED = "{name}さんはすでに{role}です。変更はありません。"
ROLES_LAST_CHAIR = ("会長がいなくなるため、変更できません。先にほかの方を会長にしてから、"
                    "この方の役職を変えてください。")
ROLES_NO_BLOCK = "{name}さんの班がわからないため、班長にできません。班を選んでください。"
ROLES_BAD_CHOICE = "選び直してください。"
ROLES_KEEPERS_ONLY = "役職を変えられるのは、会長・役員の方だけです。"
ROLE_IN_BLOCK = "{block}の{role}"
ROLE_NOTICE = "あなたの役職が「{after}」になりました（前は「{before}」）。次の操作から新しい役職になります。"
ROLE_NOTICE_HANDOVER = "年度替わりで、あなたの役職が「{after}」になりました（前は「{before}」）。"
HANDOVER_CHAIR_ONLY = "年度替わりは会長だけが行えます。"
HANDOVER_INTRO = ("新しい年度の班長と会長を選びます。選んだ班の今の班長は班長でなくなります。"
                  "次の画面で確かめてから決定します。")
HANDOVER_NOW = "今の班長"
HANDOVER_NOBODY = "（いません）"
HANDOVER_NEW_LEADER = "{block}の新しい班長"
HANDOVER_NEW_CHAIR = "新しい会長"
HANDOVER_NOW_CHAIR = "今の会長"
HANDOVER_UNCHANGED = "変えない"
HANDOVER_NEXT = "確認する"
HANDOVER_CONFIRM_TITLE = "この内容で変更します"
HANDOVER_GAINS = "新しく役職につく方"
HANDOVER_LOSES = "役職がなくなる・変わる方"
HANDOVER_NOTHING = "変更はありません。"
HANDOVER_CHANGE = "{name}さん：{before} → {after}"
HANDOVER_REGISTRY = "自治会の台帳の会長欄も「{name}」（{since}から）に変わります。"
HANDOVER_TOLD = "変更する方全員に、LINEでお知らせします。"
HANDOVER_APPLY = "この内容で決定する"
HANDOVER_FIX = "選び直す"
HANDOVER_TWICE = "{name}さんが二つの役職に選ばれています。一人に一つの役職を選んでください。"
HANDOVER_DONE = "年度替わりの変更をしました（{n}人）。"
AUDIT_ACTIONS.update({"role.change": "役職を変更", "handover.apply": "年度替わり"})

# --- jma: automatic start from JMA (issue 14) ---
CMD_JMA_RULE = "自動開始"
JMA_INTENSITY = {"1": "1", "2": "2", "3": "3", "4": "4", "5-": "5弱", "5+": "5強", "6-": "6弱", "6+": "6強", "7": "7",
                 "?": "5弱以上（未入電）"}
JMA_WHAT_QUAKE = "震度{intensity}"
JMA_MSG_QUAKE = "地震（震度{intensity}）が発生しました。安否をお知らせください。"
JMA_MSG_TSUNAMI = "{name}が発表されました。安否をお知らせください。"
JMA_MSG_SPECIAL = "{name}が発表されました。安否をお知らせください。"
JMA_ASK_TITLE = "災害モードを始めますか"
JMA_ASK = ("気象庁の情報: {what}。災害モードを開始して、全世帯に安否確認を送りますか。"
           "{minutes}分たっても答えがなければ、自動で開始します。")
JMA_START_YES = "開始する"
JMA_START_NO = "開始しない"
JMA_STARTED_AUTO = "気象庁の情報（{what}）により、災害モードを自動で開始しました。「安否状況」で回答を確認できます。"
JMA_DECLINED = "災害モードは開始しません。"
JMA_STARTED_BY = "災害モードを開始しました。「安否状況」で回答を確認できます。"
JMA_CANCELLED = ("気象庁が先ほどの情報（{what}）を取り消しました。{done}")
JMA_CANCEL_ASK = "確認は取り消します。"
JMA_CANCEL_ENDED = "自動で始めた災害モードを終了しました。"
JMA_CANCEL_RESIDENTS = ("気象庁の情報が取り消されたため、安否確認を終了しました。\n"
                        "ご協力ありがとうございました。")
JMA_RULE = ("自動開始の設定\n・市町村コード: {codes}\n・地震: {quake}\n・津波: {tsunami}\n・特別警報: {special}\n"
            "・開始のしかた: {mode}")
JMA_RULE_NONE = "自動開始は設定されていません。設定は管理者にお願いしてください（kairan jma rule）。"
JMA_RULE_QUAKE = "震度{intensity}以上"
JMA_RULE_TSUNAMI = "津波警報以上"
JMA_RULE_SPECIAL = "すべての特別警報"
JMA_RULE_OFF = "使わない"
JMA_MODE = {"auto": "すぐに開始する", "ask": "役員に確認してから（{minutes}分で自動開始）"}
JMA_SET_AUTO = "すぐ開始にする"
JMA_SET_ASK = "確認してからにする"
JMA_SET_INT = "震度{intensity}以上にする"
JMA_RULE_SAVED = "設定を変えました。"
AUDIT_ACTIONS.update({
    "jma.match": "気象庁情報が条件に一致", "jma.ask": "気象庁情報で開始を確認", "jma.start": "気象庁情報で災害モードを開始",
    "jma.decline": "気象庁情報による開始を見送り", "jma.cancel": "気象庁情報の取消", "jma.rule": "自動開始の設定を変更",
    "jma.refused": "気象庁情報を受け付けず",
})
# --- dashboard: roster ---
ROSTER_BOARD_ONLY = "この操作は、会長・役員・防災担当の方だけができます。"
ROSTER_REGISTERED = ("0人", "1人", "2人", "3人以上")  # members registered on LINE
ROSTER_REGISTERED_LABEL = "LINE登録"
ROSTER_STATUS = {"active": "登録済み", "pending": "承認待ち", "unfollowed": "ブロック中", "registering": "登録中"}
ROSTER_PAPER_BY = "{who}さんが{date}に設定"
ROSTER_PAPER_BY_FILE = "名簿ファイルで{date}に設定"
ROSTER_SAVED = "保存しました。"
ROSTER_IMPORTED = "名簿を読み込みました。追加 {added}世帯、変更 {changed}世帯、削除 {removed}世帯。"
ROSTER_ADD = "世帯を追加"
ROSTER_IMPORT = "名簿CSVの読み込み（年度更新）"
ROSTER_EXPORT = "名簿をCSVでダウンロード"
ROSTER_HOUSEHOLDS = "{n}世帯"
ROSTER_NO_HOUSEHOLDS = "世帯はありません。"
ROSTER_SUPPORT = "要支援"
ROSTER_DELIVERY = "受け取り"
ROSTER_PAPER = "紙"
ROSTER_LINE = "LINE"
ROSTER_LINE_NONE = "要確認（LINE登録なし・紙なし）"
ROSTER_COL_NAME = "氏名"
ROSTER_COL_ROLE = "役職"
ROSTER_COL_STATUS = "状態"
ROSTER_COL_SINCE = "登録日"
ROSTER_MEMBER_EDIT = "名前・世帯を直す"
ROSTER_MEMBER_ERASE = "この方の登録を消す"
ROSTER_EDIT = "世帯を直す"
ROSTER_REMOVE = "世帯を名簿から外す"
ROSTER_EDIT_TITLE = "世帯を直す"
ROSTER_FIELD_NAME = "世帯代表の氏名"
ROSTER_FIELD_BLOCK = "班"
ROSTER_FIELD_PAPER = "紙で受け取る（班長が回覧を紙で届けます）"
ROSTER_FIELD_SUPPORT = "要支援（災害のとき手助けが必要）"
ROSTER_LEADER_NO_MOVE = "ほかの班への移動は、会長・役員にお願いしてください。"
ROSTER_SAVE = "保存する"
ROSTER_BACK = "名簿にもどる"
ROSTER_NAME_NEEDED = "氏名を入れてください（100文字まで）。"
ROSTER_REMOVE_COST = ("この世帯を名簿から外します。この世帯でLINE登録している{n}人は退会となり、"
                      "名前や回答などの個人情報は消去されます。元にはもどせません。")
ROSTER_REMOVE_YES = "名簿から外す"
ROSTER_REMOVE_SELF = "ご自分の登録は、LINEで「退会」と送って消してください。"
ROSTER_REMOVE_CHAIR = "会長の方がいる世帯・会長の方の登録は消せません。先に役職を変えてください。"
ROSTER_MEMBER_TITLE = "名前・世帯を直す"
ROSTER_FIELD_MEMBER_NAME = "氏名"
ROSTER_FIELD_HOUSEHOLD = "世帯（班）"
ROSTER_NO_HOUSEHOLD = "（世帯なし）"
ROSTER_ERASE_COST = ("この方を退会とし、名前や回答などの個人情報を消去します。"
                     "LINEで「退会」と送ったときと同じです。元にはもどせません。")
ROSTER_ERASE_YES = "退会にして消去する"
NEEDS_CHECK_INTRO = ("LINEに登録した人がいなくて、紙も届けていない世帯です。"
                     "電話か訪問で確かめて、紙で届けるなら［紙で届ける］を押してください。")
NEEDS_CHECK_NONE = "要確認の世帯はありません。"
NEEDS_CHECK_PAPER = "紙で届ける"
NEEDS_CHECK_SAVED = "{name}さんの世帯に紙で届けるようにしました。"
IMPORT_INTRO = ("新しい名簿のCSVファイルを選んでください。1行目は「班,氏名,LINE,要支援」です。"
                "まず変わるところを見せます。まだ何も書きかえません。")
IMPORT_FILE = "名簿のCSVファイル"
IMPORT_PREVIEW = "変わるところを見る"
IMPORT_NO_FILE = "ファイルを選んでください。"
IMPORT_TOO_BIG = "ファイルが大きすぎます（1MBまで）。"
IMPORT_PREVIEW_TITLE = "名簿の読み込み：確認"
IMPORT_PREVIEW_NOTE = "まだ何も書きかえていません。よければ下のボタンを押してください。"
IMPORT_ADDED = "追加される世帯（{n}）"
IMPORT_CHANGED = "変わる世帯（{n}）"
IMPORT_REMOVED = "名簿から外れる世帯（{n}）"
IMPORT_NEW_BLOCKS = "新しくできる班：{names}"
IMPORT_UNCHANGED = "変わらない世帯：{n}"
IMPORT_KEPT_SELF = "（ご自分の世帯なので残します）"
IMPORT_KEPT_CHAIR = "（会長の方の世帯なので残します）"
IMPORT_REMOVE_CONFIRM = ("ファイルにない{n}世帯を名簿から外し、その世帯でLINE登録している{m}人を"
                         "退会にして個人情報を消去します。")
IMPORT_APPLY = "この内容で反映する"
IMPORT_APPLY_KEEP = "世帯は外さずに、追加と変更だけ反映する"
IMPORT_NOTHING = "変わるところはありません。"
IMPORT_BAD_FORM = "送られた内容を確かめられませんでした。もう一度ファイルを読み込んでください。"
IMPORT_STALE = "確認のあとに名簿が変わりました。もう一度ファイルを読み込んでください。"
IMPORT_CONFIRM_NEEDED = "名簿から外す世帯の数を確かめて、チェックを入れてください。"
AUDIT_ACTIONS.update({
    "household.update": "世帯を修正", "household.add": "世帯を追加", "household.remove": "世帯を名簿から削除",
    "household.paper": "紙で受け取るを変更", "member.edit": "会員の名前・世帯を修正", "member.erase": "会員を退会・消去",
    "roster.import": "名簿CSVを反映", "roster.export": "名簿CSVをダウンロード",
})
AUDIT_FIELDS.update({"withdrawn": "退会した人数", "via": "操作した画面", "added": "追加", "changed": "変更",
                     "removed": "削除"})
ROLES_CHAIR_ONLY = "会長の役職を付けたり外したりできるのは、会長だけです。"
RECORD_EVENT_HALTED = "この行事は{what}になったため、出欠は記録できません。"
FIX_ALREADY_DONE = "この訂正・お知らせは、もう送られています（二度は送りません）。"

# --- when LINE is down: the 連絡網 (models/outage.py, handlers/safety/contacts.py) ---------------
LINE_DOWN_BANNER = ("LINEにメッセージが届いていません（{since}から）。送れなかった安否確認はLINEが戻りしだい自動で送ります。"
                    "それまでは電話や訪問で確かめてください。")
LINE_DOWN_CONTACTS = "班ごとの連絡網（印刷用）を開く"
CONTACTS_TITLE = "連絡網"
CONTACTS_HEAD = "{association}　{block}　連絡網"
CONTACTS_NOTE = "LINEが使えないときは、この表で電話や訪問をしてください。要支援の世帯が先頭です。"
CONTACTS_COL_PHONE = "電話"
CONTACTS_COL_WAY = "受け取り方"
CONTACTS_COL_STATUS = "最新の安否"
CONTACTS_WAY_LINE = "LINE"
CONTACTS_WAY_PAPER = "紙"
CONTACTS_NO_STATUS = "回答なし"
CONTACTS_PUSH_TITLE = "【連絡網】LINEが止まっていた間の確認用です（{kind}）"
CONTACTS_PUSH_ASK = "回答のない世帯には電話か訪問をお願いします。"
CONTACTS_LINE = "・{name}様（{marks}）{phone}{status}"
CONTACTS_PHONE = " ☎{phone}"
CONTACTS_STATUS = " ／ {status}"
CONTACTS_BLOCK = "■{block}"
HOME_LINE_DOWN = "LINEにメッセージが届いていません。連絡網を印刷して、電話や訪問で確かめてください。"

# --- 通報: the default categories (an association or city may keep its own: models/reports.py) ----
REPORT_CATEGORIES = ("道路・歩道", "街灯・防犯灯", "ごみ・不法投棄", "公園", "水路・冠水", "空き家", "その他")

# --- error pages (bot/web/errors.py): in Japanese, saying what to do next ------------------------
ERROR_PAGES = {
    400: ("うまく受け付けられませんでした", "お手数ですが、LINEのトーク画面に戻り、ボタンからもう一度開いてください。"),
    403: ("このページは開けません", "このページを見る権限がありません。役員の方は、LINEで「管理画面」と送ると届くリンクから開いてください。"),
    404: ("ページが見つかりません", "リンクが古いか、まちがっているようです。LINEのトーク画面に戻り、新しいメッセージのボタンから開いてください。"),
    405: ("うまく受け付けられませんでした", "お手数ですが、LINEのトーク画面に戻り、ボタンからもう一度開いてください。"),
    413: ("ファイルが大きすぎます", "小さいファイルにして、もう一度お試しください。"),
    429: ("ただいま混み合っています", "少し時間をおいてから、もう一度開いてください。"),
    500: ("ただいま表示できません", "しばらくしてから、もう一度開いてください。続くときは、自治会の役員にお知らせください。"),
}
ERROR_BACK = "LINEのトーク画面に戻ってください（このページは閉じてかまいません）。"

# --- 自動開始 on the dashboard (/admin/jma, bot/web/jma_page.py) -------------------------------------
NAV_JMA = "自動開始"
JMA_PAGE_INTRO = ("気象庁の地震・津波・特別警報の情報で、災害モードを自動で始める設定です。"
                  "会長と防災担当が変えられます。")
JMA_PAGE_CITY_RULE = "いまは市の設定を使っています。保存すると、この自治会だけの設定になります。"
JMA_PAGE_NO_RULE = "まだ設定がありません。市町村コードを入れて保存すると使えるようになります。"
JMA_PAGE_CODES = "市町村コード（7けた、いくつでも。カンマ区切り）"
JMA_PAGE_QUAKE_AREAS = "震度速報の地域コード（3けた、任意）"
JMA_PAGE_TSUNAMI_AREAS = "津波予報区のコード（3けた、海の近くの自治会のみ）"
JMA_PAGE_QUAKE = "地震で始める"
JMA_PAGE_INTENSITY = "震度"
JMA_PAGE_TSUNAMI = "津波警報以上で始める"
JMA_PAGE_SPECIAL = "特別警報で始める"
JMA_PAGE_MODE = "始め方"
JMA_PAGE_MINUTES = "確認の返事がないとき、何分後に自動で始めるか（1〜120分）"
JMA_PAGE_SAVE = "この設定で保存する"
JMA_PAGE_SAVED = "保存しました。"
JMA_PAGE_ONLY = "自動開始の設定は、会長と防災担当だけが変えられます。"
JMA_PAGE_BAD_CODES = "市町村コードは7けたの数字で入れてください（例：1310100）。"
JMA_PAGE_BAD_AREAS = "地域・津波予報区のコードは3けたの数字で入れてください（例：350）。"
JMA_PAGE_BAD_CHOICE = "選べる値から選んでください。"
JMA_PAGE_BAD_MINUTES = "分は1〜120の数字で入れてください。"
JMA_PAGE_TOO_MANY = "コードが多すぎます（{n}個まで）。"
JMA_PAGE_HISTORY = "これまでの自動開始"
JMA_PAGE_HISTORY_NONE = "まだありません。"
JMA_START_STATES = {"asked": "役員に確認", "started": "開始", "declined": "開始しない", "cancelled": "取り消し"}
# --- pull views (issue 13: what the menu's buttons answer, by reply) ---
CMD_HELP = "使い方"  # typed by anyone: the 使い方 view
VIEW_LABELS = {  # the views' names as the menus label them (quick replies that open a view)
    "circulars": "回覧板", "events": "行事・出欠", "safety": "安否を伝える", "me": "登録内容", "help": "使い方",
    "family": "家族の状況", "shelter": "避難所・連絡先", "status": "状況",
}
VIEW_MORE = "もっと見る"
VIEW_ALL_CATEGORIES = "すべて"
VIEW_CIRCULARS_ALT = "回覧板（新しい順）"
VIEW_CIRCULARS_HEAD = "回覧板です。新しい順に{n}件お見せします。"
VIEW_CIRCULARS_HEAD_CATEGORY = "回覧板（{category}）です。新しい順に{n}件お見せします。"
VIEW_CIRCULARS_OLDER = "前の回覧です（{start}件目から）。"
VIEW_CIRCULARS_NONE = "まだ回覧は届いていません。"
VIEW_CIRCULARS_NONE_CATEGORY = "「{category}」の回覧はまだありません。"
VIEW_CIRCULARS_NO_MORE = "これより前の回覧はありません。"
VIEW_CIRCULARS_MORE_TITLE = "もっと前の回覧"
VIEW_CIRCULARS_MORE_BODY = "これより前の回覧を見るときは、下のボタンを押してください。"
VIEW_UNREAD = "まだ読んでいません"
VIEW_READ = "既読：{who}・{when}"
VIEW_EVENTS_ALT = "受付中の行事"
VIEW_EVENTS_HEAD = "受付中の行事が{n}件あります。締切までは、ボタンで何度でも回答を変えられます。"
VIEW_EVENTS_NONE = "いま出欠を受け付けている行事はありません。"
VIEW_EVENT_UNANSWERED = "まだ回答していません"
VIEW_EVENT_ANSWERED = "回答：{answer}（{who}）"
VIEW_SAFETY_CALM = (
    "いまは災害モードではありません。\n"
    "大きな地震や風水害のときは、自治会が災害モードを始めると、このLINEに「安否確認」が届きます。"
    "「無事」などのボタンを1つ押してください。世帯のどなたか1人の回答で大丈夫です。\n"
    "救助が必要なときは「救助が必要」を押すと、役員と防災担当にすぐ知らせます。"
)
VIEW_SAFETY_NOW = "ご家族の回答：{status}（{who}・{when}）。変わったときは押し直してください。"
VIEW_FAMILY_TITLE = "【家族の状況】{household}様の世帯"
VIEW_FAMILY_STATUS = "安否：{status}"
VIEW_FAMILY_BY = "伝えた人：{who}"
VIEW_FAMILY_AT = "日時：{when}"
VIEW_FAMILY_NOTE = "連絡事項：{note}"
VIEW_FAMILY_UNANSWERED = "まだどなたも安否を伝えていません。下のボタンから伝えてください。"
VIEW_FAMILY_ENDED = "（{date}に始まった災害モードの記録です。いまは災害モードではありません）"
VIEW_FAMILY_NONE = "いまは災害モードではありません。災害モードのときに、ご家族の安否の回答がここに出ます。"
VIEW_FAMILY_NO_HOUSEHOLD = "世帯の登録がないため、家族の状況はお見せできません。"
VIEW_BY_PROXY = "役員・班長（代理で記録）"
VIEW_SHELTER_TITLE = "【避難所・連絡先】"
VIEW_SHELTER_EMPTY = (
    "自治会の避難所・連絡先はまだ登録されていません。\n"
    "お住まいの市区町村の防災マップやホームページで、近くの避難所をご確認ください。"
    "命に関わるときは、迷わず119番（消防・救急）や110番（警察）へ連絡してください。"
)
VIEW_ME_TITLE = "【登録内容】"
VIEW_ME_NAME = "お名前：{name}"
VIEW_ME_BLOCK = "班：{block}"
VIEW_ME_HOUSEHOLD = "世帯：{household}様の世帯"
VIEW_ME_NO_HOUSEHOLD = "世帯：（まだ決まっていません）"
VIEW_ME_ROLE = "役職：{role}"
VIEW_ME_FAMILY = "同じ世帯で登録している方：{names}"
VIEW_ME_FAMILY_NONE = "同じ世帯で登録している方：ほかにいません"
VIEW_ME_WITHDRAW = "登録をやめる（退会する）ときは、下の「退会」を押してください。お名前などの登録情報を消去します。"
VIEW_HELP_RESIDENT = (
    "【使い方】\n"
    "・回覧が届いたら、読んで「読みました」を押してください。\n"
    "・前の回覧は、下のメニューの「回覧板」で見られます。\n"
    "・行事の出欠は「行事・出欠」から。締切までは変えられます。\n"
    "・災害のときは「安否を伝える」で、ご家族の状況を知らせてください。\n"
    "・登録内容の確認や退会は「登録内容」から。"
)
VIEW_HELP_OFFICER = "【役員の方のことば】ボタンのほか、次のことばを送っても使えます。"
VIEW_HELP_SHORTCUT = "「{word}」{what}"
VIEW_SHORTCUTS = {
    "回覧": "回覧を作って送る", "出欠": "行事の出欠をとる", "集計": "出欠の集計", "状況": "既読の状況",
    "災害モード": "安否確認を始める・終える", "安否状況": "安否の回答を見る", "自動開始": "地震のときの自動開始の設定",
    "管理画面": "パソコン・スマホ用の画面を開く", "会長交代": "会長が代わったとき",
}
# the dashboard page (/admin/shelter)
NAV_SHELTER = "避難所・連絡先"
SHELTER_INTRO = ("LINEで「避難所・連絡先」を押した方に、ここに書いた内容をお見せします。"
                 "避難所の名前と場所、自治会の連絡先などを書いてください。空のときは、市区町村の案内を見るようお伝えします。")
SHELTER_FIELD = "避難所・連絡先（{n}文字まで）"
SHELTER_SAVE = "保存する"
SHELTER_SAVED = "保存しました。"
SHELTER_TOO_LONG = "{n}文字までにしてください。"
SHELTER_BOARD_ONLY = "避難所・連絡先を書きかえられるのは、会長・役員・防災担当の方です。"
SHELTER_PREVIEW = "LINEではこう見えます"
AUDIT_ACTIONS.update({"association.shelter": "避難所・連絡先を変更"})
# --- rich menus (issue 13) ---
# the buttons of the rich menus at the bottom of the chat (handlers/messages/menus.py): LINE
# allows 20 characters per label, 14 for the chat bar's text
MENU_CHAT_BAR = "メニュー"
MENU_CIRCULARS = "回覧板"
MENU_EVENTS = "行事・出欠"
MENU_SAFETY = "安否を伝える"
MENU_ME = "登録内容"
MENU_HELP = "使い方"
MENU_INQUIRY = "問い合わせ"
MENU_REPORT = "通報"
MENU_LOCATION = "現在地を送る"
MENU_FAMILY = "家族の状況"
MENU_SHELTER = "避難所・連絡先"
MENU_STATUS = "状況"
MENU_SEND_CIRCULAR = "回覧を出す"
MENU_TAKE_ATTENDANCE = "出欠を取る"
MENU_DISASTER = "災害モード"
MENU_ADMIN = "管理画面"
CMD_HELP_WORD = "使い方"  # the officers' menu sends it as typed (the views helper answers it)
MENU_NAMES = {"resident": "住民メニュー", "officer": "役員メニュー", "officer_full": "役員メニュー（災害モード付き）",
              "disaster": "災害時メニュー", "disaster_officer": "災害時メニュー（役員）"}
# --- 通報 (residents' side: handlers/reports/flow.py) ---
CMD_REPORT = "通報"
RPT_NOT_MEMBER = "通報は、登録が済んだ会員の方がご利用いただけます。"
RPT_ASK_CATEGORY = "どんなことの通報ですか？下のボタンから選んでください。\n（やめるときは「取消」と送ってください）"
RPT_ASK_PHOTOS = ("「{category}」ですね。\n写真があれば送ってください（{max}枚まで）。\n"
                  "写真がなければ［写真なしで進む］を押してください。")
RPT_NO_PHOTO = "写真なしで進む"
RPT_NEXT = "次へ"
RPT_PHOTO_TAKEN = "写真を受け取りました（{n}枚）。ほかにもあれば送ってください。終わったら［次へ］を押してください。"
RPT_PHOTO_FULL = "写真を受け取りました（{n}枚まで）。"
RPT_PHOTO_ONLY = "写真を送るか、下のボタンを押してください。"
RPT_ASK_LOCATION = ("場所を教えてください。\n［位置情報を送る］を押して、地図で場所を選んでください。\n"
                    "うまくいかないときは、住所や目印を文字で送ってください。")
RPT_SEND_LOCATION = "位置情報を送る"
RPT_LOCATION_ONLY = "場所がまだです。［位置情報を送る］を押すか、住所を文字で送ってください。"
RPT_ASK_COMMENT = "ひとこと説明があれば送ってください（{max}文字まで）。なければ［なし］を押してください。"
RPT_NO_COMMENT = "なし"
RPT_COMMENT_ONLY = "説明を文字で送るか、［なし］を押してください。"
RPT_NEARBY_TITLE = "近くに同じ通報があります"
RPT_NEARBY_BODY = "通報 No. {number}（{category}・約{metres}m先）\n同じものなら［同じものです（賛同）］を押してください。"
RPT_SAME = "同じものです（賛同）"
RPT_OTHER = "別の件です"
RPT_PLUS1_DONE = "ありがとうございます。通報 No. {number} に賛同しました。対応の状況が変わったらお知らせします。"
RPT_PLUS1_ALREADY = "通報 No. {number} は、もうお知らせを受け取る設定になっています。"
RPT_CONFIRM_TITLE = "この内容で通報しますか？"
RPT_CONFIRM_BODY = "種類：{category}\n写真：{photos}枚\n場所：{place}\n説明：{comment}"
RPT_PLACE_MAP = "地図で指定（{address}）"
RPT_PLACE_MAP_ONLY = "地図で指定"
RPT_NONE = "なし"
RPT_SEND = "通報する"
RPT_CANCEL = "やめる"
RPT_RECEIVED = ("通報を受け付けました。\n通報 No. {number}\n種類：{category}\n"
                "自治会の役員が確認します。状況が変わったらお知らせします。")
RPT_WITHDRAW = "取り下げる"
RPT_MINE = "私の通報"
RPT_DAILY_LIMIT = "申し訳ありません。通報は1日{n}件までです。明日またお願いいたします。"
RPT_GONE = "この通報の下書きは見つかりませんでした。もう一度「通報」からお願いします。"
RPT_NOT_FOUND = "その通報は見つかりませんでした。"
RPT_WITHDRAW_ASK = "通報 No. {number}（{category}）を取り下げますか？"
RPT_WITHDRAW_YES = "はい、取り下げる"
RPT_WITHDRAW_DONE = "通報 No. {number} を取り下げました。"
RPT_WITHDRAW_CLOSED = "通報 No. {number} はもう終わっているので、取り下げられません。"
RPT_WITHDRAW_REASON = "取り下げ"
RPT_MINE_EMPTY = "まだ通報はありません。"
RPT_MINE_TITLE = "あなたの通報（新しい順）"
RPT_MINE_LINE = "No. {number} {category}：{status}"
RPT_MINE_WITHDRAW = "取り下げ {number}"
RPT_STATUS = {"received": "受付", "checking": "確認中", "in_progress": "対応中", "done": "完了",
              "declined": "対応しない", "forwarded": "市へ転送"}
RPT_OFFICER_NEW = "【通報】No. {number}\n種類：{category}\n班：{block}\n{url}"
RPT_OFFICER_WITHDRAWN = "【通報の取り下げ】No. {number}（{category}・{block}）は、通報した方が取り下げました。\n{url}"
RPT_NO_BLOCK = "班なし"
RPT_PHOTO_FAILED = "通報の写真を1枚受け取れませんでした（画像でないか、大きすぎます）。通報はそのまま受け付けています。"
AUDIT_ACTIONS.update({"report.submit": "通報を受付", "report.plus1": "通報に賛同", "report.withdraw": "通報を取り下げ"})

# --- 問い合わせ (handlers/inquiries): a resident's message to the officers, answered through the bot
CMD_INQUIRY = "問い合わせ"
INQ_ASK = ("役員への問い合わせを、このトークに書いて送ってください（写真も送れます）。"
           "自治会の役員だけが読みます。やめるときは「やめる」と送ってください。")
INQ_TOO_LONG = "問い合わせは{n}文字までです。短くして、もう一度送ってください。"
INQ_CONFIRM_TITLE = "この内容で役員に送りますか"
INQ_PHOTO_ONLY = "（写真）"
INQ_SEND = "送信する"
INQ_CANCEL = "やめる"
INQ_SENT = "問い合わせを送りました。役員からの返事は、このトークに届きます。"
INQ_DAILY_LIMIT = "申し訳ありません。問い合わせは1日{n}件までです。急ぎのときは班長に直接ご連絡ください。"
INQ_NEED_MEMBER = "問い合わせは、登録がすんだ方が送れます。"
INQ_OFFICER_TITLE = "【問い合わせ】{block} {name}様"
INQ_OFFICER_PHOTO = "（写真つき：管理画面で見られます）"
INQ_REPLY = "返信する"
INQ_REPLY_ASK = "{name}様への返事を書いて送ってください。自治会からの返事として届きます（あなたの名前は出ません）。"
INQ_REPLIED_BEFORE = "（{who}さんが{at}に返事をしています）"
INQ_REPLY_CONFIRM_TITLE = "この返事を送りますか"
INQ_REPLY_SENT = "返事を送りました。"
INQ_ANSWER_TO_RESIDENT = "【自治会からの返事】\n{text}"
INQ_GONE = "この問い合わせは見つかりませんでした（退会などで消えています）。"
INQ_PAGE_TITLE = "問い合わせ"
INQ_PAGE_INTRO = "住民からの問い合わせです。返事はLINEで住民に届きます（自治会からの返事として、役員の名前は出ません）。"
INQ_PAGE_NONE = "問い合わせはありません。"
INQ_PAGE_FROM = "{block} {name}様・{at}"
INQ_PAGE_ANSWERED = "{who}さんが返事（{at}）"
INQ_PAGE_REPLY = "返事を書く"
INQ_PAGE_SEND = "この返事を送る"
INQ_PAGE_CLOSE = "対応済みにする"
INQ_PAGE_EMPTY = "返事を書いてください。"
INQ_PAGE_SAVED = "返事を送りました。"
INQ_PAGE_CLOSED = "対応済みにしました。"
INQ_STATUS = {"open": "未対応", "answered": "返事済み", "closed": "対応済み"}
NAV_INQUIRIES = "問い合わせ"
AUDIT_ACTIONS.update({"inquiry.send": "問い合わせを受付", "inquiry.answer": "問い合わせに返事",
                      "inquiry.close": "問い合わせを対応済みに"})
# --- families, join codes and officers' decisions (issue 10) ---
ASK_FAMILY_NAME = ("{household}様の世帯ですね。この世帯にはすでにLINEで登録した方がいます。\n"
                   "あなたのお名前（フルネーム）を送ってください。\n例：山田 花子")
APPROVAL_REQUEST_FAMILY = ("{block}の{household}様の世帯の家族として、「{name}」さんから登録の申請がありました。"
                           "この世帯にはすでにLINEで登録した方がいます。ご本人の家族か確かめてください。")
APPROVAL_DISPLAY_NAME = "LINEの表示名：{display}"
LINKED_DISPLAY_NAME = "（LINEの表示名：{display}）"
REJECT_ASK = ("「{name}」さんの申請を却下しますか？\n理由をお伝えする場合は、理由を送ってください"
              "（ほかの役員にも伝わります）。")
REJECT_NO_REASON = "理由なしで却下"
REJECT_KEEP = "やめる"
REJECT_KEPT = "却下はしませんでした。申請はそのまま残っています。"
REJECT_REASON_TOO_LONG = "理由は100文字までです。短くしてください。"
DECIDED_APPROVED = "「{name}」さん（{block}）の申請は、{actor}さんが承認しました（{household}様の世帯）。"
DECIDED_REJECTED = "「{name}」さん（{block}）の申請は、{actor}さんが却下しました。"
DECIDED_REASON = "理由：{reason}"
DECIDED_SOMEONE = "役員"
CMD_PENDING = "承認待ち"
PENDING_NONE = "承認待ちの申請はありません。"
PENDING_LIST = "承認待ちの申請が{n}件あります。"
PENDING_MORE = "ほかに{n}件あります。管理画面の「承認待ち」でご覧ください。"
PENDING_ITEM = "{block}の「{name}」さん（{when}に申請）"
WITHDRAWN_TITLE = "退会がありました"
WITHDRAWN_TO_LEADER = "{block}の{household}様の世帯で、1人がLINEの回覧板を退会しました。"
WITHDRAWN_TO_LEADER_NEW = "{block}で、1人がLINEの回覧板を退会しました（名簿にない世帯の方）。"
WITHDRAWN_TO_LEADER_PAPER = "この世帯にはLINEで登録した方がいなくなりました。紙での配布をお願いします。"
REISSUE_CODE = "コードを再発行"
REISSUED_CODE = ("{household}様の世帯の登録コードを新しくしました：{code}\n"
                 "前のコードはもう使えません。ご家族には新しいコードをお伝えください。")
LATE_APPROVED_OPEN = "登録前にお届けしていた回覧・出欠確認のうち、まだ受付中のものをお送りします。"
SAFETY_HOUSEHOLD_KEPT = "世帯の状況は「{status}」のままです（{who}からの報告があるため）。"
SAFETY_HISTORY_TITLE = "報告の履歴（{n}件）"
SAFETY_HISTORY_REPORT = "{at} {who}：{status}"
SAFETY_HISTORY_NOTE = "連絡事項（{who}）：{note}"
SAFETY_HISTORY_LOCATION = "現在地（{who}、{at}）：{where}"
EV_FAMILY_ANSWERED = ("「{name}」には、{who}が{at}に「{answer}」と回答しています。\n"
                      "世帯の回答を「{new}」に変更しますか？")
EV_FAMILY_CHANGE = "変更する"
EV_FAMILY_KEEP = "そのままにする"
EV_FAMILY_KEPT = "「{name}」の回答は、{who}の「{answer}」のままにしました。"
APPROVALS_REJECT_REASON = "理由（任意・ほかの役員にお伝えします）"

# --- 通報: triage (issue 16; handlers/reports/triage.py, bot/web/reports_page.py, bot/web/open311.py) ---
REPORT_STATUSES = {
    "draft": "下書き", "received": "受付", "checking": "確認中", "in_progress": "対応中", "done": "完了",
    "declined": "対応しない", "forwarded": "市へ転送",
}
REPORT_STATUS_DONE_WORDS = {
    "received": "受け付けました", "checking": "確認中になりました", "in_progress": "対応中になりました",
    "done": "完了しました", "declined": "対応しないことになりました", "forwarded": "市へ転送しました",
}
REPORT_PUSH_HEAD = "【通報 No.{number}】"
REPORT_PUSH_STATUS = "{status}。"
REPORT_PUSH_NOTE = "お知らせがあります。"
REPORT_TRIAGE_CHANGED = "この通報は、ほかの方がすでに変更しました。もう一度開いて確かめてください。"
REPORT_TRIAGE_BAD_STATUS = "その状態には変えられません。"
REPORT_TRIAGE_REASON = "「対応しない」ときは、理由を書いてください。"
REPORT_TRIAGE_NO_CITY = "この自治会は市区町村とつながっていないため、市へ転送できません。"
REPORT_TRIAGE_TOO_LONG = "メモは{n}文字までにしてください。"
REPORT_TRIAGE_BAD_ASSIGNEE = "担当にできるのは、この自治会の役員の方だけです。"
REPORT_TRIAGE_SAVED = "状態を変更しました。"
REPORT_TRIAGE_SAVED_PUSHED = "状態を変更し、{n}人にお知らせしました（LINEのメッセージ{n}通分）。"
AUDIT_ACTIONS.update({"report.status": "通報の状態を変更", "report.assign": "通報の担当を変更"})
# the officers' pages (/admin/reports)
NAV_REPORTS = "通報"
REPORT_PAGE_INTRO = "住民の方からの通報です。状態を変えて「知らせる」にすると、通報した方（と賛同した方）にLINEでお知らせします。"
REPORT_PAGE_OPEN = "対応中のもの（受付・確認中・対応中・市へ転送）"
REPORT_PAGE_ALL = "すべて"
REPORT_PAGE_POPUP = "No.{number} {category}（{status}）"
REPORT_PAGE_BY_CITY = "市の担当者"
REPORT_PAGE_NONE = "通報はありません。"
REPORT_PAGE_COLUMNS = ("番号", "日付", "分類", "状態", "班", "内容")
REPORT_PAGE_PUBLIC = "通報した方にLINEで知らせる（1人につきメッセージ1通）"
REPORT_PAGE_NOTE = "メモ（知らせるときは、そのまま届きます。対応しないときは理由を）"
REPORT_PAGE_SAVE = "状態を変える"
REPORT_PAGE_NO_MAP = "位置はありません。"
# Open311 GeoReport v2 (bot/web/open311.py): a stable ASCII service_code for each default category
REPORT_SERVICE_CODES = {
    "道路・歩道": "road", "街灯・防犯灯": "streetlight", "ごみ・不法投棄": "dumping", "公園": "park",
    "水路・冠水": "flooding", "空き家": "vacant_house", "その他": "other",
}
REPORT_SERVICE_DESCRIPTION = "住民からの通報（{category}）"
# the city staff's pages (/city/reports, bot/web/city_reports.py)
CITY_NAV_REPORTS = "転送された通報"
CITY_REPORTS_HINT = "自治会から市へ転送された通報です。状態を変えると、通報した方にLINEでお知らせします。"
REPORT_PAGE_CSV = "この一覧をCSVでダウンロード（Excel用）"
REPORT_CSV_HEADER = ("番号", "受付日時", "分類", "状態", "班", "内容", "住所", "緯度", "経度", "転送先", "対応しない理由")
REPORT_PAGE_GEOJSON = "地図用（GeoJSON）"
REPORT_PAGE_ASSIGNEE = "担当"
REPORT_PAGE_NOBODY = "（決めていない）"
REPORT_PAGE_ASSIGN = "担当を決める"
REPORT_PAGE_STALE = "担当が決まらないまま{days}日以上たった通報が{n}件あります。"


# --- mimamori (issue 17) ---
ROLE_LABELS["welfare"] = "民生委員"
VIEW_LABELS["mimamori"] = "見守り"
CMD_MIMAMORI_FAMILY = "見守り家族"  # 「見守り家族 12345678」: a family member joins by the resident's code
MM_TITLE = "見守り"
MM_INTRO = ("毎日決まった時間に「元気です」のボタンをお送りします。\n"
            "お返事がないときは、ご家族・班長・民生委員の順にお知らせします。\n"
            "この日にLINEで何か送っていただければ、それでも大丈夫です。")
MM_START = "申し込む"
MM_ASK_HOUR = "何時にお送りしましょうか。"
MM_HOUR = "{hour}:00"
MM_ASK_DAYS = "どの日にお送りしましょうか。"
MM_DAYS = {"daily": "毎日", "weekdays": "平日のみ", "mwf": "月・水・金"}
MM_ASK_WHO = "お返事がないとき、ご家族のほかに誰に知らせますか。"
MM_WHO = {"both": "班長と民生委員", "leader": "班長だけ", "family": "家族だけ"}
MM_CONFIRM_TITLE = "見守りの内容"
MM_CONFIRM = ("時間：{hour}:00\n日：{days}\n知らせる順：{ladder}\n\n"
              "お送りするのは月に{pushes}通です（この自治会の今月の残りは{remaining}）。\n"
              "記録は{retention}日で消えます。やめるのはボタン一つです。")
MM_CONFIRM_NOTE = "見守りの記録は、選んだ方と会長だけが見られます。同意して始めますか。"
MM_REMAINING_UNKNOWN = "不明"
MM_REMAINING = "{n}通"
MM_AGREE = "同意して始める"
MM_FOR = "家族の分を申し込む"
MM_FOR_WHO = "どなたの分を申し込みますか。"
MM_FOR_NAME = "{name}さん"
MM_FOR_NONE = "同じ世帯でLINEに登録している方のうち、申し込める方がいません。"
MM_FOR_WHOM = "{name}さんの見守りの申し込みです。"
MM_AGREE_FOR = "本人の同意を得て始める"
MM_CONFIRM_NOTE_FOR = "ご本人に見守りの内容を伝え、同意を得てから押してください。ご本人にもお知らせが届きます。"
MM_FOR_DONE = ("{name}さんの見守りを始めました。あなたも見守り家族になりました。\n"
               "ほかのご家族は、次の言葉を送ると見守り家族になれます。\n\n見守り家族 {code}")
MM_LADDER_FAMILY = "ご家族"
MM_LADDER_LEADER = "班長"
MM_LADDER_WELFARE = "民生委員"
MM_LADDER_CHAIR = "会長・民生委員"
MM_LADDER_SEPARATOR = "→"
MM_STARTED = ("見守りを始めました。\nご家族にも知らせたいときは、ご家族にこの公式アカウントを友だち追加してもらい、"
              "次の言葉を送ってもらってください。\n\n見守り家族 {code}")
MM_STATUS = "見守り中です。\n時間：{hour}:00\n日：{days}\n知らせる順：{ladder}\nご家族：{family}人\n\nご家族の登録コード：{code}"
MM_LEAVE = "見守りをやめる"
MM_CHANGE = "時間・曜日を変える"
MM_CHANGED = "見守りの時間を{hour}:00（{days}）に変えました。ご家族の登録はそのままです。"
MM_LEFT = "見守りをやめました。これまでの記録は{days}日後に消えます。"
MM_NOT_ENROLLED = "見守りには申し込んでいません。"
MM_ALREADY = "すでに見守り中です。"
MM_WATCHING = "見守っている方"
MM_WATCH_LINE = "・{name}さん：{state}"
MM_PAGE_LINK = "見守りの一覧（印刷もできます）"
# the daily check
MM_CHECK_TITLE = "おはようございます"
MM_CHECK = "今日もお元気ですか。ボタンを押してお知らせください。"
MM_FINE = "元気です"
MM_TROUBLE = "少し困っています"
MM_THANKS = "お知らせありがとうございます。今日も良い一日を。"
MM_ASK_NEED = "何にお困りですか。"
MM_NEEDS = {"health": "体調", "shopping": "買い物", "clinic": "通院", "talk": "話し相手がほしい"}
MM_NEED_NOTED = "わかりました。見守りの方にお伝えします。"
MM_NEED_ALERT = "【見守り】{name}さん（{block}）から「少し困っています：{need}」とお知らせがありました。"
MM_REMINDER_TITLE = "見守りのお知らせ"
MM_REMINDER = "今日のお返事がまだです。お元気でしたら「元気です」を押してください。"
MM_ALERT_TITLE = "【見守り】お返事がありません"
MM_ALERT = ("{name}さん（{block}）から、今日の見守りのお返事がありません。\n"
            "最後にご様子がわかったのは {last} です。\nご連絡をお願いします。")
MM_ALERT_UNREACHABLE = "\n前の方から「つながりません」とお知らせがありました。"
MM_LAST_NONE = "記録なし"
MM_CONTACT = "連絡がとれました"
MM_VISIT = "訪問します"
MM_UNREACHABLE = "つながりません"
MM_CONTACT_NOTED = "ありがとうございます。見守りの連絡はここで止めます。"
MM_VISIT_NOTED = "ありがとうございます。訪問をお願いします。連絡がとれたら「連絡がとれました」を押してください。"
MM_UNREACHABLE_NOTED = "会長と民生委員にお知らせしました。"
MM_CLOSED = "この見守りは、すでに連絡がとれています。"
MM_RETURNED = "【見守り】{name}さんからお返事がありました。ご協力ありがとうございました。"
MM_CONTACT_DONE = "【見守り】{name}さんと連絡がとれました（{by}）。"
MM_NOT_YOURS = "このボタンは使えません。"
MM_NO_BLOCK = "班なし"
# family members
MM_FAMILY_JOINED = "{name}さんの見守り家族になりました。お返事がないときにお知らせします。"
MM_FAMILY_BAD_CODE = "登録コードが見つかりません。数字8けたをご確認ください。"
MM_FAMILY_ALREADY = "すでに見守り家族です。"
MM_FAMILY_TOLD = ("あなたの登録コードで、見守り家族が1人登録されました。\n"
                  "お心当たりがないときは「取り消す」を押してください。")
MM_FAMILY_DROP = "取り消す"
MM_FAMILY_DROPPED = "見守り家族の登録を取り消しました。"
MM_FAMILY_GONE = "この見守り家族の登録は、すでにありません。"
MM_FAMILY_LEAVE = "見守り家族をやめる"
MM_FAMILY_LEFT = "見守り家族をやめました。"
MM_FAMILY_SELF = "ご自身の見守り家族にはなれません。"
# proxy enrolment (dashboard)
MM_PROXY_TOLD = ("{by}さんが、あなたの見守りを申し込みました（毎日{hour}:00、{days}）。\n"
                 "やめたいときは下のボタンを押してください。")
# the watchers' page (/admin/mimamori)
NAV_MIMAMORI = "見守り"
MM_PAGE_TITLE = "見守り"
MM_PAGE_INTRO = "見守りに申し込んだ方の今日の様子と、この30日の記録です。お返事のない方が上にあります。"
MM_PAGE_NONE = "見守っている方はいません。"
MM_PAGE_COLUMNS = ("名前", "班", "今日", "この30日")
MM_PAGE_PRINT = "印刷する"
MM_PAGE_COST = "見守りのお知らせは月に約{pushes}通です（この自治会の今月の上限：{limit}）。"
MM_PAGE_LIMIT_UNKNOWN = "不明"
MM_PAGE_LEGEND = "○ 元気　△ 困りごと　× 連絡がとれた後　・ お返事なし　－ お休みの日"
MM_MARKS = {"fine": "○", "trouble": "△", "life": "○", "contact": "×", "none": "・", "off": "－"}
MM_STATE_FINE = "元気（{time}）"
MM_STATE_TROUBLE = "少し困っています：{need}（{time}）"
MM_STATE_WAITING = "お返事待ち"
MM_STATE_ESCALATED = "連絡中：{who}"
MM_STATE_VISITING = "訪問予定"
MM_STATE_UNREACHABLE = "つながりません（会長・民生委員へ）"
MM_STATE_CONTACT = "連絡がとれました（{time}）"
MM_STATE_NO_CHECK = "今日はお休み"
MM_STATE_NOT_YET = "まだお送りしていません"
MM_PROXY_TITLE = "代わりに申し込む"
MM_PROXY_HINT = "ご本人の同意を得てから申し込んでください。ご本人にはLINEでお知らせし、いつでもやめられます。"
MM_PROXY_WHO = "申し込む方"
MM_PROXY_HOUR = "時間"
MM_PROXY_DAYS = "日"
MM_PROXY_LADDER = "知らせる順（ご家族のあと）"
MM_PROXY_CONSENT = "ご本人の同意を得ました"
MM_PROXY_SUBMIT = "申し込む"
MM_PROXY_DONE = "申し込みました。ご本人にLINEでお知らせします。"
MM_PROXY_NEED_CONSENT = "ご本人の同意を確かめてから申し込んでください。"
MM_PROXY_EXISTS = "この方はすでに見守り中です。"
AUDIT_ACTIONS.update({
    "mimamori.enrol": "見守りに申し込み", "mimamori.proxy": "見守りの代理申し込み", "mimamori.leave": "見守りをやめる",
    "mimamori.family": "見守り家族の登録", "mimamori.family_leave": "見守り家族をやめる",
    "mimamori.ask": "見守りの確認を送信", "mimamori.answer": "見守りの返事", "mimamori.remind": "見守りの再確認",
    "mimamori.escalate": "見守りの連絡", "mimamori.contact": "見守り：連絡がとれた", "mimamori.visit": "見守り：訪問",
    "mimamori.unreachable": "見守り：つながらない", "mimamori.purge": "見守りの記録を削除",
})
MM_TIME = "{hour}:{minute:02d}"
MM_DAY = "{month}/{day}"
# --- drills (issue 14) ---
# drills (訓練): handlers/safety/drill.py, bot/web/drills_page.py
CMD_DRILL = "訓練"
CMD_DRILL_END = "訓練終了"
DRILL_MARK = "【訓練】"
DRILL_ASK_KIND = "安否確認の訓練を始めます。想定する災害の種類を選んでください。"
DRILL_ASK_WHEN = "いつ始めますか。「今すぐ」か、日時を選んでください（日時を選ぶと、予告なしの訓練になります）。"
DRILL_NOW = "今すぐ"
DRILL_PICK_TIME = "日時を選ぶ"
DRILL_BAD_TIME = "これから先の日時を選んでください（{days}日以内）。"
DRILL_CONFIRM_TITLE = "訓練を行いますか"
DRILL_CONFIRM = "【訓練】全{households}世帯のうちLINEの{recipients}人に、訓練の安否確認を送ります（{recipients}通）。{when}結果は本当の災害とは別に記録します。"
DRILL_CONFIRM_NOW = "すぐに送ります。"
DRILL_CONFIRM_AT = "{at}に送ります。それまで住民の方には知らせません。"
DRILL_SEND = "訓練を行う"
DRILL_STARTED = "訓練（{kind}）を開始しました。「安否状況」で回答を確認できます。終えるときは「訓練終了」と送ってください。"
DRILL_PLANNED = "訓練（{kind}）を{at}に始めます。取りやめるときは、もう一度「訓練」と送ってください。"
DRILL_PLAN_EXISTS = "{at}に訓練（{kind}）の予定があります。取りやめますか。"
DRILL_PLAN_CANCEL = "予定を取りやめる"
DRILL_PLAN_CANCELLED = "訓練の予定を取りやめました。"
DRILL_PLAN_STARTED = "予定していた訓練（{kind}）を開始しました。「安否状況」で回答を確認できます。終えるときは「訓練終了」と送ってください。"
DRILL_PLAN_SKIPPED = "予定していた訓練（{kind}）は、災害モード中のため行いませんでした。"
DRILL_ALREADY = "訓練中です。終えるときは「訓練終了」と送ってください。"
DRILL_DURING_DISASTER = "災害モード中は訓練を始められません。"
DRILL_ONLY_ROLES = "訓練の開始と終了は、会長と防災担当の方だけができます。"
DRILL_NONE = "いまは訓練中ではありません。"
DRILL_END_CONFIRM = "訓練を終了しますか。安否確認の受付を終え、役員に集計を送ります。"
DRILL_ENDED = "訓練を終了しました。結果は管理画面の「訓練の記録」で見られます。"
DRILL_SUMMARY = "【訓練終了】{kind}\n{counts}\n未回答 {silent}世帯"
DRILL_ENDED_FOR_DISASTER = "災害モードを始めるため、訓練を終了しました。"
DRILL_END_RESIDENTS = "【訓練】安否確認の訓練は終了しました。これは訓練でした。ご協力ありがとうございました。"
# the end of a real disaster mode, to every resident (issue 10), not urgent
DISASTER_END_RESIDENTS = "災害モードは終了しました。ご協力ありがとうございました。"
# the drills' pages (/admin/drills)
NAV_DRILLS = "訓練の記録"
DRILL_PAGE_INTRO = "安否確認の訓練の結果です。本当の災害の集計には入りません。LINEで「訓練」と送ると始められます。"
DRILL_PAGE_NONE = "まだ訓練はありません。"
DRILL_PAGE_COLUMNS = ("開始", "種類", "回答", "半数が回答", "9割が回答")
DRILL_PAGE_PLANS = "予定の訓練"
DRILL_PAGE_RUNNING = "実施中"
DRILL_REPORT_TITLE = "訓練の結果 {date}（{kind}）"
DRILL_REPORT_SUMMARY = "{total}世帯のうち{answered}世帯が回答しました（{pct}%）。"
DRILL_REPORT_PRINT = "このページはそのまま印刷できます（A4で1枚）。"
DRILL_MARKS_TITLE = "回答の早さ"
DRILL_MARK_LABEL = "{pct}%の世帯が回答"
DRILL_AFTER = "開始から{minutes}（{at}）"
DRILL_MINUTES = "{m}分"
DRILL_HOURS = "{h}時間{m}分"
DRILL_NOT_REACHED = "届きませんでした"
DRILL_CURVE_TITLE = "回答の推移"
DRILL_CHART_LABEL = "開始からの時間と、回答した世帯の割合"
DRILL_CHART_X = "開始からの時間（分）"
DRILL_PER_BLOCK_TITLE = "班ごと"
DRILL_PER_BLOCK_COLUMNS = ("班", "回答", "世帯", "回答率", "半数が回答")
DRILL_SILENT_TITLE = "回答のなかった世帯（{n}世帯）"
DRILL_SILENT_NONE = "すべての世帯が回答しました。"
DRILL_COMPARE_TITLE = "これまでの訓練との比較"
DRILL_COMPARE_COLUMNS = ("年度", "訓練の回数", "回答率", "半数が回答", "9割が回答")
DRILL_YEAR = "{year}年度"
DRILL_THIS_YEAR = "（今年度）"
DRILL_COMPARE_NONE = "比べられる訓練はまだありません。"
DRILL_PERCENT = "{pct}%"
# needs (困りごと) with a safety answer
SAFETY_NEEDS = {"food": "食料・水", "medicine": "薬", "mobility": "移動の手助け", "power": "停電", "contact": "連絡がほしい"}
SAFETY_NEEDS_ASK = "困っていることがあれば、下のボタンで選べます（いくつでも）。"
SAFETY_NEED_RECORDED = "困りごと「{needs}」を記録しました。ほかにもあれば選んでください。"
SAFETY_NEEDS_SEPARATOR = "・"
# who goes (訪問の割り当て): the live page, the responder's push and buttons
RESPONDER_TITLE = "【訪問のお願い】{household}様の世帯"
RESPONDER_BODY = "{block} {household}様の世帯を訪ねてください。\n状況：{status}\n困りごと：{needs}\n住所：{address}\n{map}\n訪ねたら、下のボタンで結果を知らせてください。"
RESPONDER_NO_ADDRESS = "（登録なし）"
RESPONDER_NO_NEEDS = "（なし）"
RESPONDER_MAP = "地図：{url}"
RESPONDER_NO_MAP = "地図：位置の共有はありません"
RESPONDER_OUTCOMES = {"safe": "訪問しました・無事", "injured": "けが人あり", "rescue": "救助要請", "absent": "不在でした"}
RESPONDER_THANKS = "「{outcome}」を記録しました（{household}様の世帯）。ありがとうございました。"
RESPONDER_CLOSED = "この訪問のお願いは、もう受け付けていません。"
RESPONDER_PLACE = "この場所を地図に"
RESPONDER_PLACE_ASK = "いまその世帯の前にいるときは、下の「この場所を地図に」を押すと、役員の地図に載ります。"
RESPONDER_PLACE_RECORDED = "場所を記録しました。役員の地図に載ります。"
RESPONDER_TOLD = "【訪問の結果】{block} {household}様の世帯：{outcome}（{who}）"
SAFETY_ASSIGN_TITLE = "訪問の割り当て"
SAFETY_ASSIGN_HINT = "救助が必要な世帯、回答のない世帯、困りごとのある世帯です。担当を決めると、その方にLINEで訪問のお願いが届きます。"
SAFETY_ASSIGN_BUTTON = "{name}様に頼む"
SAFETY_ASSIGN_OTHER = "ほかの方に頼む"
SAFETY_ASSIGN_NOBODY = "未割り当て"
SAFETY_ASSIGNED = "{name}様（{at}に依頼）"
SAFETY_ASSIGN_RESULT = "{outcome}（{at}）"
SAFETY_ASSIGN_AGAIN = "{household}様の世帯には、すでに{names}に頼んでいます。もう一人頼みますか。"
SAFETY_ASSIGN_AGAIN_YES = "もう一人頼む"
SAFETY_ASSIGN_DONE = "{name}様に訪問をお願いしました（LINEで届きます）。"
AUDIT_ACTIONS.update({"drill.start": "訓練を開始", "drill.plan": "訓練を予定", "drill.cancel": "訓練の予定を取りやめ",
                      "drill.end": "訓練を終了", "safety.assign": "訪問を依頼", "safety.visit": "訪問の結果"})
SAFETY_MAP_POPUP_NEEDS = "\n困りごと：{needs}"
SAFETY_ASSIGN_OPTION = "{name}（{n}件担当）"
SAFETY_ASSIGN_PICK = "頼む方を選ぶ"
SAFETY_ASSIGN_WHO = "担当："
# --- pages10 (issue 10) ---
SAFETY_LEGEND_LABEL = "地図の色の見かた"
HERO_OPEN = "写真を大きく見る"  # tapping a circular card's photo
HERO_OTHERS = "添付 {total}件（上の写真のほか{n}件は「全文を見る」から見られます）"
# the Japanese names of the downloads: kairan-<name>-<YYYYMMDD>.csv (bot/web/csv_safe.py)
DOWNLOAD_NAMES = {"audit": "操作記録", "roster": "名簿", "safety": "安否状況", "reports": "通報", "event": "出欠",
                  "registry": "自治会台帳"}
STICKER_THANKS = "スタンプありがとうございます。回覧板や行事の出欠は、画面の下のメニューから見られます。"
# --- chat10 (issue 10) ---
# typed answers to an open event (handlers/events/typed.py), compared after NFKC
TYPED_ANSWER_WORDS = {"参加": "yes", "出席": "yes", "不参加": "no", "欠席": "no", "未定": "maybe"}
TYPED_HEAD_UNITS = ("名", "人")  # 「2名」「2人」
# polite endings that may follow the choice (「参加します」「不参加です」), longest first
TYPED_ENDINGS = ("でお願いします", "させていただきます", "お願いします", "いたします", "します", "です", "で",
                 "予定", "。", "!", "、", ",", ".")
TYPED_OPENINGS = ("やっぱり", "やはり", "すみません", "すいません")  # 「やっぱり不参加です」
TYPED_SEPARATORS = ",、"  # after an opening: 「やっぱり、不参加」
TYPED_WHICH_EVENT = "どの行事への「{answer}」ですか。下のボタンから選んでください。"
# the comment question's example, by answer (after 不参加, not 「車いすで参加します」)
EV_COMMENT_EXAMPLES = {"yes": "車いすで参加します", "no": "仕事のため欠席します", "maybe": "前日までにお返事します"}
# 代理回答: the officer is asked about the household, not as if they were the resident
EV_ASK_HEADS_PROXY = "{household}様の世帯は「参加」で受け付けました。この世帯から参加される人数を選んでください。"
EV_ASK_COMMENT_PROXY = ("{household}様の世帯は「{answer}」で受け付けました。\nこの世帯からの連絡事項があれば送ってください。"
                        "なければ「連絡事項なし」を押してください。")
# a typed text at a step that waits for a button (handlers/framework/dialog.py)
CHOOSE_BELOW = "下のボタンから選んでください。"
# the help's answer to a text nothing took: what the member can do now (handlers/framework/now.py)
HELP_NOW_HEAD = "いま、次のことができます。下のボタンからどうぞ。"
HELP_NOW_CIRCULAR = "・未読の回覧「{title}」（押すと全文が読めます）"
HELP_NOW_MORE_CIRCULARS = "・ほかに未読の回覧が{n}件あります（「回覧板」から）"
HELP_NOW_EVENT = "・出欠の回答「{name}」（締切：{deadline}）"
# nothing cut silently: the limit said at the step, and asked again
TOO_LONG_COUNT = "（送られたのは{n}文字でした）"
BODY_TOO_LONG = "本文は{max}文字までです。短くしてください。長い資料はPDFや写真で添付できます。"
EV_NOTE_TOO_LONG = "案内は{max}文字までです。短くしてください。"
# [全文を見る] of a body longer than a chat takes: cut at a sentence end (handlers/framework/full_text.py)
FULL_CONTINUES = "（続きはページで読めます）"
SENTENCE_ENDS = "。！？!?\n"
# lists of households in 状況 and 集計: grouped by 班; the officer's own household is not 「…様」 to him
NAMES_BY_BLOCK_LINE = "・{block}：{names}"
NAMES_BY_BLOCK_MORE = "・ほか{n}世帯"
SELF_HOUSEHOLD = "あなたの世帯"
# 未読 and 未回答 side by side in 集計: what each means
EV_RESULTS_LEGEND = "（未回答＝案内は開いたがまだ答えていない、未読＝案内をまだ開いていない）"
# a resident's button tapped on one's own preview (before [送信])
PREVIEW_TAPPED = "これは送信前の見本です。住民の方がこのボタンを押すと、回答や既読が記録されます。送るときは見本の下の「送信」を押してください。"
# an event's time in another year than now (「2027年1月10日(日) 10:00」)
DATETIME_WEEKDAY_YEAR = "{year}年{month}月{day}日({weekday}) {hour}:{minute:02d}"
# what a notification shows first (the card's altText): which kind of message it is
ALT_CIRCULAR = "【回覧】{title}"
ALT_EVENT = "【出欠】{name}"

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
CANCEL_WORDS = ("取消", "キャンセル", "やめる", "中止")

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
ASK_BLOCK_OR_CODE = "お住まいの班を選んでください。\n登録コードをお持ちの方は「登録コード 1234-5678」と送ってください。"
ASK_NAME = "{block}ですね。\n世帯の代表の方のお名前（フルネーム）を送ってください。\n例：山田 太郎"
NAME_TOO_LONG = "お名前は30文字以内でお願いします。"
REGISTERED = (
    "{name}さん、登録が完了しました（{block}・{household}様の世帯）。\n"
    "回覧が届いたら「読みました」を押してください。世帯のどなたか1人が押せば大丈夫です。"
)
PENDING = (
    "ありがとうございます。名簿で確認できなかったため、班長・役員に確認をお願いしました。\n"
    "承認されましたらお知らせします。"
)
APPROVAL_REQUEST_TITLE = "登録の申請"
APPROVAL_REQUEST = "{block}の「{name}」さんから登録の申請がありました。名簿にない方です。"
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
ATTACH_FAILED = "添付を受け取れませんでした。もう一度送ってください。"
ASK_TARGET = "どなたに送りますか。"
ASK_BLOCKS = "送る班を選んでください（複数可）。選び終えたら「決定」を押してください。\n選択中：{chosen}"
TITLE_TOO_LONG = "タイトルは40文字以内でお願いします。"
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
PAPER_LIST_TITLE = "紙で配る世帯"
PAPER_LIST = "回覧「{title}」を紙で配ってください（{block}）：\n{names}"
STALE_DRAFT = "この下書きは送信済みか、取り消されています。"
STALE_PREVIEW = "内容が変わりました。最新のプレビューの「送信」を押してください。"
READ_THANKS = "ありがとうございます。「{title}」を既読にしました。"
READ_ALREADY = "「{title}」は{who}が{when}に既読にしています。"
READ_NOT_FOR_YOU = "この回覧はお届け先に含まれていません。"
CIRCULAR_GONE = "この回覧は見つかりませんでした。"
NO_ATTACHMENTS_YET = "（添付はまだありません）"
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
STATUS_UNREAD = "未読：{names}"
STATUS_ALL_READ = "全世帯が既読です。"
STATUS_REMINDER = "リマインド予定：{when}（いま未読{households}世帯・{pushes}通）"
STATUS_REMINDER_DONE = "リマインド済み：{when}（{households}世帯・{pushes}通）"
STATUS_FAILED = "⚠ 送れなかったメッセージが{n}件あります（LINEの応答：{error}）。"
STATUS_HELD = "⚠ 今月の送信上限に達したため、{n}件の送信を来月まで保留しています。"
PAPER_MARK = "（紙）"

# --- officers / general ------------------------------------------------------------------
OFFICERS_ONLY = "申し訳ありません。この操作は役員・班長の方のみご利用いただけます。"
NOT_REGISTERED = "まだ登録がお済みでないようです。"
HELP_MEMBER = "回覧が届いたら「読みました」を押してください。退会するときは「退会」と送ってください。"
HELP_OFFICER = (
    "役員メニュー：\n「回覧」回覧を作る\n「状況」既読の状況\n「管理画面」パソコン用の画面を開く"
)
CANCELLED = "取り消しました。"
STALE_BUTTON = "このボタンは使えなくなりました。最新のメッセージからお試しください。"
ADMIN_LINK = "管理画面へのリンクです。10分間、1回だけ使えます。ほかの人には送らないでください。"
ERROR_RETRY = "うまく処理できませんでした。少し待ってから、もう一度お試しください。"

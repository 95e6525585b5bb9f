"""Families of rounds 15-19 (nineteen blind training files: indirect reports, regional voices,
category boundaries, service requests, emergencies described rather than named or in hard-to-read
voices, new kinds of community, hard negatives, disputes and security, a month of group life;
in round 19 thread replies, notices, stories and jokes, and Cantonese).

Each case is a new phrasing of a family a round taught, never a labelled message: dialect
spellings with one standard form, people shut in a lift said without 困, frauds by someone passing
for staff, questions that ask a lawyer or a doctor, emergencies described (a child outside a
window, food stuck in a throat, a socket in water, fumes with dizziness, a confused elder out
alone, someone not back, someone at a roof edge, things falling onto people), live reports
wearing a joke's or a drill's clothes, Cantonese as residents type it, and the stories, jokes,
dreams, figures of speech, acknowledgements and follow-ups that are not reports.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder
from tests.classifier.conftest import AMBULANCE, FIRE, NONE, POLICE
from tests.classifier.conftest import verdict_of as _verdict

SECURITY = ("security", None, False)
DISPUTE = ("dispute", None, False)
HEALTH = ("service", "health", False)
LEGAL = ("service", "legal", False)
REPAIR = ("service", "repair", False)
HAZARD = ("hazard", None, False)
SANITATION = ("service", "sanitation", False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Round 15.
        # People shut in a lift, however it is said; 瓦斯 is gas in the south-east.
        ("7栋电梯把两个老人关里头了 按铃没反应", FIRE),
        ("电梯停在九楼和十楼中间了 里头有个小孩在哭", FIRE),
        ("楼梯间一股瓦斯味 好重 不知道谁家的", FIRE),
        # A stove that will not light is a repair in any dialect.
        ("瓦斯炉点袂着 打了十几下", REPAIR),
        # Fixed, then broken again: a report, however many visits it took.
        ("水管师傅来修了两回还是漏 厨房地上都是水", REPAIR),
        # Someone passing for staff or a company while collecting money is a fraud under way ...
        ("门口有个人说是自来水公司的 要换水表 一户先交两百", SECURITY),
        ("有人自称社区的工作人员 挨家挨户登记老人的银行卡", SECURITY),
        # ... and so are damage done on purpose and strangers casing the building.
        ("一早发现车门被人泼了红油漆 8栋楼下", SECURITY),
        ("这两晚有个男的老在一楼窗户下面转 往屋里看", SECURITY),
        # A forwarded warning about impostors is not.
        ("【转发】警惕冒充燃气公司工作人员上门收费 大家不要轻信", NONE),
        # Questions a lawyer answers: shares of an inheritance, a guarantee, a probation period.
        ("外婆的房子没立遗嘱 我们几个外孙有份吗", LEGAL),
        ("帮朋友做了担保人 现在他还不上了 银行会找我吗 要还吗", LEGAL),
        ("试用期被辞退 公司说不给补偿 这样有依据吗", LEGAL),
        # A neighbour's encroachment is a dispute.
        ("一楼把楼前的草地圈了块菜园子 还围了篱笆 大家都过不去", DISPUTE),
        # Memories, curiosity, a rehearsal and a row already over are not reports.
        ("小时候住大杂院 一个水龙头全院用 天天吵架 现在想想还挺热闹", NONE),
        ("纯好奇 楼上装修一般能装几个月啊", NONE),
        ("刚才楼下吵吵嚷嚷的 原来是广场舞队在排练 下周比赛", NONE),
        ("门口两个人吵了几句 人都散了 没事了", NONE),
        # Dialect "fixed now": 好哒 is 好了.
        ("楼道的灯搞好哒 谢谢物业", NONE),
        # Round 16.
        ("9栋5楼有个小朋友趴在窗台上往下看 家里好像没人", FIRE),
        ("我家小孩吃汤圆卡住了 脸都憋红了 咋办", AMBULANCE),
        ("车库进水了 墙上的插座泡在水里 还在冒泡", FIRE),
        ("屋里一股臭鸡蛋味 我头晕得厉害", FIRE),
        ("小区门口有个老奶奶穿着睡衣在路口站着 问她家在哪也说不清楚", POLICE),
        ("就买个菜的工夫 一转身就没了 我儿子五岁 穿黄衣服", POLICE),
        ("我妈刚才还好好的 突然手脚不听使唤 话也说不出来", AMBULANCE),
        # A question about one's own trouble asks for the team that handles it.
        ("打羽毛球崴脚了 脚踝肿了 要不要去拍片", HEALTH),
        ("公司拖了两个月工资 还不给交公积金 这种该找谁", LEGAL),
        ("收到法院传票 说我欠信用卡 我根本没办过这张卡", LEGAL),
        # A warning to everyone, a joke, and smoke that was dry ice are not emergencies.
        ("提醒各位家长 窗户要装防护栏 别让孩子趴在窗台上", NONE),
        ("说个笑话 我老公说他被工作困住了 出不来", NONE),
        ("楼下那个白烟是干冰 人家在拍婚纱照", NONE),
        ("煤气味的事查过了 是楼道里刷油漆", NONE),
        # Round 17.
        # "It is not a drill", "this time it is real", "it happened before, but now ...".
        ("真不是演练 6栋楼道全是烟 没人通知过有演练", FIRE),
        ("冷到发抖这回是真冒烟了 锅炉房在冒黑烟", FIRE),
        ("以前也有过 这次特别大 煤气味整个单元都是", FIRE),
        # Someone not back, a wild-mushroom meal gone wrong.
        ("我奶奶下午出去买菜 到现在还没回 手机也没带", POLICE),
        ("吃了山上采的菌子 我爸说看见小人在跳 一直吐", AMBULANCE),
        ("楼上每天晚上十一点开跑步机 咚咚咚的 说了也不听", DISPUTE),
        ("二楼把楼道当自家仓库 旧家具全堆出来了 说了也不听", DISPUTE),
        ("有个人天天拿望远镜往我们楼里看 好几个晚上了", SECURITY),
        ("我爸在一个炒股群里 说是有原始股 已经转了三万", SECURITY),
        ("论文写到头发都要着火了 救救孩子", NONE),
        ("过年吃太多 体重秤都要报警了", NONE),
        ("我家狗把我袜子叼走藏窝里了 小偷本偷", NONE),
        ("刚才说楼下有人撬门 问清楚了 是开锁师傅 业主忘带钥匙", NONE),
        # Round 18.
        ("屋里生着蜂窝煤炉子 我婆婆说头晕想吐 窗户都关着的", FIRE),
        ("对面楼有个小娃挂在外面 手扒着防盗窗 快去人", FIRE),
        ("车棚那边有人往车里拽一个小姑娘 她在哭", POLICE),
        ("我家进人了 我在门口听到里屋有人翻东西", POLICE),
        ("楼下王大爷躺在花坛边 喊他不理 脸发青", AMBULANCE),
        # Repairs said plainly, and Wu spellings of "not" and "to death".
        ("卫生间排风扇不转了 一洗澡全是水汽", REPAIR),
        ("楼道那盏灯一个多月没亮了 @物业", REPAIR),
        ("有人讲是物业的 挨家收钱 我已经付了两百 后来发现物业根本没这回事", SECURITY),
        # The follow-ups of an emergency that is over.
        ("救护车来了 已经抬上去了 大家让让路", NONE),
        ("燃气公司来看过了 阀门没问题 虚惊一场", NONE),
        ("说个笑话 我被我家两只猫困住了 起不来", NONE),
        # Round 19.
        # A laugh (typed, or an emoji the normaliser writes as 哈哈) makes a joke of report words ...
        ("哈哈 我闺女说她的橡皮被同桌偷了 正在写检讨书", NONE),
        ("[笑哭] 老公炒个菜 厨房跟着火了似的", NONE),
        # ... unless help is asked for.
        ("哈哈 说出来不怕你们笑 我家水管又爆了 谁能来帮忙修一下", REPAIR),
        # A report word in scare quotes is a figure of speech.
        ('我儿子说我"抢劫"了他的零食', NONE),
        # Staff acknowledgements close a report; "still leaking" reopens it.
        ("收到 已派单 师傅下午到", NONE),
        # "It is not a misunderstanding", and a question about the smell, are live emergencies.
        ("不是误会 我亲眼看见三楼窗户往外冒黑烟", FIRE),
        ("那个味道是煤气吗 好冲 整个楼道都是", FIRE),
        # Someone at a roof edge, something falling onto people, someone not back by dark.
        ("快 有个姑娘坐在楼顶边上 哭着说不想活了", POLICE),
        ("外墙一块水泥掉下来 砸中一个路过的大爷", FIRE),
        ("脚手架倒下来了 压到人了 在5栋旁边", FIRE),
        ("我老伴早上去公园 天黑了还没回 电话也不接", POLICE),
        # Charging indoors, said as residents say it.
        ("又在楼道充了 线直接从家里拉出来", HAZARD),
        # Cantonese: noise, a fire, a brawl, cockroaches, a fall.
        ("楼上日日嘈到半夜 我哋瞓唔着", DISPUTE),
        ("火燭啊 5座后楼梯好大烟", FIRE),
        ("楼下两帮人开片 有人流晒血", POLICE),
        ("曱甴多到不得了 楼梯角成堆 可唔可以喷药", SANITATION),
        ("阿婆跌低咗 起唔到身", AMBULANCE),
        # English typed into a report.
        ("gas smell 好重 in 3栋楼道", FIRE),
        # Stories, dreams, a child's wish, a vote and a settled quarrel are not reports.
        ("那年我们楼停电三天 大家点蜡烛打牌 现在想想还挺好玩", NONE),
        ("昨晚做了个被小偷追的梦 累死", NONE),
        ("儿子说长大要当警察 抓坏人", NONE),
        ("投票：要不要换物业 同意回1 不同意回2", NONE),
        ("前天为车位吵的那两家 昨晚已经说开了", NONE),
        # An itch that keeps someone awake is a health matter, not a noise complaint.
        ("身上起了一片疹子 痒得睡不着 想找社区医生看看", HEALTH),
    ],
)
def test_family(holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]) -> None:
    assert _verdict(holder, text) == expected


def test_laughter_gives_way_to_a_relapse_in_the_rules(holder: ClassifierHolder) -> None:
    # The rules keep a laughing report of trouble that is back ("又"). The report model still vetoes
    # this one: every 哈 weighs against a report, and the message is short (docs/classification.md,
    # round 19). A relapse keep group would block the veto, but 又 is in every other joke.
    _norm, by_rules = holder.current.rules_view("楼上又漏水了😂 天花板都黄了 @物业")
    assert (by_rules.category.value, by_rules.urgent) == ("dispute", False)

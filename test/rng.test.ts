/**
 * PCG64Bank against numpy 2.4's `np.random.default_rng(seed)` (SeedSequence → PCG64 → Generator).
 * Every expected value below was produced by numpy (`np.random.default_rng(seed)`, then
 * `random()`, `uniform(low, high)`, `integers(n)` and `bit_generator.state`); nothing calls
 * Python at run time.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PCG64Bank, type PCG64State } from "../src/rng/pcg64.js";
import { Discrete } from "../src/envs/spaces.js";
import { make } from "../src/index.js";

interface NumpyCase {
  seed: string;
  /** bit_generator.state right after default_rng(seed) */
  initial: NumpyState;
  /** 6 x random() */
  random: number[];
  afterRandom: NumpyState;
  /** 3 x uniform(-2.5, 3.0), then 3 x uniform(1e-3, 7.25), from one generator */
  uniform: number[];
  /** per n, a fresh default_rng(seed) then integers(n) 7 times (20 times for n = 3 * 2**30) */
  integers: Record<string, number[]>;
  afterIntegers: Record<string, NumpyState>;
  /** fresh generator: 3 x [integers(10), random(), integers(1000003)], then integers(7) */
  interleave: number[];
  afterInterleave: NumpyState;
}
type NumpyState = { state: string; inc: string; has_uint32: number; uinteger: number };

// From numpy 2.4.6: np.random.default_rng(seed) for seeds 0, 1, 42, 2**32+7, 2**70+12345, 2**130+99.
const NUMPY: NumpyCase[] = [
  {
    seed: "0",
    initial: {"state": "35399562948360463058890781895381311971", "inc": "87136372517582989555478159403783844777", "has_uint32": 0, "uinteger": 0},
    random: [0.6369616873214543, 0.2697867137638703, 0.04097352393619469, 0.016527635528529094, 0.8132702392002724, 0.9127555772777217],
    afterRandom: {"state": "9405893610231781608176235507540826829", "inc": "87136372517582989555478159403783844777", "has_uint32": 0, "uinteger": 0},
    uniform: [1.0032892802679987, -1.0161730742987132, -2.274645618350929, 0.1208088299463074, 5.8963959639627745, 6.6175651796862045],
    integers: {"2": [1, 1, 1, 0, 0, 0, 0], "3": [2, 1, 1, 0, 0, 0, 0], "10": [8, 6, 5, 2, 3, 0, 0], "1000003": [850626, 636963, 511138, 269787, 307830, 40973, 75240], "2147483648": [1826701615, 1367864807, 1097657232, 579362556, 661058652, 87989972, 161576974], "4294967296": [3653403231, 2735729615, 2195314465, 1158725112, 1322117304, 175979945, 323153949], "3221225472": [2740052423, 2051797211, 1646485848, 131984958, 242365461, 53239240, 564575468, 2091914554, 2940191514, 1622296031, 1954110612, 3126981555, 2349872903, 2036686799, 1751138669, 1803620337, 3012079109, 2628048249, 2761892495, 1785573335]},
    afterIntegers: {"2": {"state": "45622952943019519016089485487844936367", "inc": "87136372517582989555478159403783844777", "has_uint32": 1, "uinteger": 70985654}, "3": {"state": "45622952943019519016089485487844936367", "inc": "87136372517582989555478159403783844777", "has_uint32": 1, "uinteger": 70985654}, "10": {"state": "45622952943019519016089485487844936367", "inc": "87136372517582989555478159403783844777", "has_uint32": 1, "uinteger": 70985654}, "1000003": {"state": "45622952943019519016089485487844936367", "inc": "87136372517582989555478159403783844777", "has_uint32": 1, "uinteger": 70985654}, "2147483648": {"state": "45622952943019519016089485487844936367", "inc": "87136372517582989555478159403783844777", "has_uint32": 1, "uinteger": 70985654}, "4294967296": {"state": "45622952943019519016089485487844936367", "inc": "87136372517582989555478159403783844777", "has_uint32": 1, "uinteger": 70985654}, "3221225472": {"state": "120885017830683985775678232793711049829", "inc": "87136372517582989555478159403783844777", "has_uint32": 1, "uinteger": 144248947}},
    interleave: [8, 0.2697867137638703, 636963, 3, 0.016527635528529094, 40973, 1, 0.9127555772777217, 813272, 3],
    afterInterleave: {"state": "192621658367251491052343927637849451242", "inc": "87136372517582989555478159403783844777", "has_uint32": 1, "uinteger": 2605480817},
  },
  {
    seed: "1",
    initial: {"state": "207833532711051698738587646355624148094", "inc": "194290289479364712180083596243593368443", "has_uint32": 0, "uinteger": 0},
    random: [0.5118216247002567, 0.9504636963259353, 0.14415961271963373, 0.9486494471372439, 0.31183145201048545, 0.42332644897257565],
    afterRandom: {"state": "186158755254951208624214175513462393188", "inc": "194290289479364712180083596243593368443", "has_uint32": 0, "uinteger": 0},
    uniform: [0.3150189358514117, 2.727550329792644, -1.7071221300420145, 6.8777598422978805, 2.261466195624009, 3.069693428602201],
    integers: {"2": [0, 1, 1, 1, 0, 0, 1], "3": [1, 1, 2, 2, 0, 0, 2], "10": [4, 5, 7, 9, 0, 1, 8], "1000003": [473190, 511823, 755169, 950466, 34852, 144160, 822946], "2147483648": [1016164991, 1099128569, 1621709875, 2041105245, 74845286, 309580411, 1767258089], "4294967296": [2032329983, 2198257139, 3243419750, 4082210491, 149690573, 619160822, 3534516178], "3221225472": [1524247487, 1648692854, 2432564812, 3061657868, 112267929, 464370616, 2650887133, 3055813762, 802821630, 1363629939, 2666216678, 827829271, 2073918367, 1770365185, 276185545, 88774117, 2788255143, 2427235618, 1733480947, 1062140203]},
    afterIntegers: {"2": {"state": "162128603362175462220222700336991012114", "inc": "194290289479364712180083596243593368443", "has_uint32": 1, "uinteger": 4074418350}, "3": {"state": "162128603362175462220222700336991012114", "inc": "194290289479364712180083596243593368443", "has_uint32": 1, "uinteger": 4074418350}, "10": {"state": "162128603362175462220222700336991012114", "inc": "194290289479364712180083596243593368443", "has_uint32": 1, "uinteger": 4074418350}, "1000003": {"state": "162128603362175462220222700336991012114", "inc": "194290289479364712180083596243593368443", "has_uint32": 1, "uinteger": 4074418350}, "2147483648": {"state": "162128603362175462220222700336991012114", "inc": "194290289479364712180083596243593368443", "has_uint32": 1, "uinteger": 4074418350}, "4294967296": {"state": "162128603362175462220222700336991012114", "inc": "194290289479364712180083596243593368443", "has_uint32": 1, "uinteger": 4074418350}, "3221225472": {"state": "68654157898073559587478366065898831965", "inc": "194290289479364712180083596243593368443", "has_uint32": 0, "uinteger": 1416186938}},
    interleave: [4, 0.9504636963259353, 511823, 0, 0.9486494471372439, 144160, 2, 0.42332644897257565, 311832, 1],
    afterInterleave: {"state": "148874878029519489257849368463588029295", "inc": "194290289479364712180083596243593368443", "has_uint32": 1, "uinteger": 3554955571},
  },
  {
    seed: "42",
    initial: {"state": "274674114334540486603088602300644985544", "inc": "332724090758049132448979897138935081983", "has_uint32": 0, "uinteger": 0},
    random: [0.7739560485559633, 0.4388784397520523, 0.8585979199113825, 0.6973680290593639, 0.09417734788764953, 0.9756223516367559],
    afterRandom: {"state": "60251780358759318666854268857835938822", "inc": "332724090758049132448979897138935081983", "has_uint32": 0, "uinteger": 0},
    uniform: [1.7567582670577986, -0.08616858136371208, 2.222288559512603, 5.056220842651329, 0.6836915948375715, 7.0732864270148434],
    integers: {"2": [0, 1, 1, 0, 0, 1, 0], "3": [0, 2, 1, 1, 1, 2, 0], "10": [0, 7, 6, 4, 4, 8, 0], "1000003": [89251, 773958, 654573, 438879, 433016, 858600, 85945], "2147483648": [191664964, 1662057958, 1405681632, 942484272, 929893138, 1843824993, 184566854], "4294967296": [383329928, 3324115917, 2811363265, 1884968545, 1859786276, 3687649986, 369133709], "3221225472": [2493086937, 2108522448, 1413726408, 2765737489, 276850281, 2246379658, 648978800, 303366471, 3142699569, 2370024276, 2451802595, 2532090362, 1653218510, 412682896, 2705018386, 1450794654, 1611746334, 1194424040, 588033539, 2985318988]},
    afterIntegers: {"2": {"state": "129461158061550087521946787121429467180", "inc": "332724090758049132448979897138935081983", "has_uint32": 1, "uinteger": 2995172878}, "3": {"state": "129461158061550087521946787121429467180", "inc": "332724090758049132448979897138935081983", "has_uint32": 1, "uinteger": 2995172878}, "10": {"state": "129461158061550087521946787121429467180", "inc": "332724090758049132448979897138935081983", "has_uint32": 1, "uinteger": 2995172878}, "1000003": {"state": "129461158061550087521946787121429467180", "inc": "332724090758049132448979897138935081983", "has_uint32": 1, "uinteger": 2995172878}, "2147483648": {"state": "129461158061550087521946787121429467180", "inc": "332724090758049132448979897138935081983", "has_uint32": 1, "uinteger": 2995172878}, "4294967296": {"state": "129461158061550087521946787121429467180", "inc": "332724090758049132448979897138935081983", "has_uint32": 1, "uinteger": 2995172878}, "3221225472": {"state": "129477932126826003081349894394369672756", "inc": "332724090758049132448979897138935081983", "has_uint32": 0, "uinteger": 3980425318}},
    interleave: [0, 0.4388784397520523, 773958, 4, 0.6973680290593639, 858600, 2, 0.9756223516367559, 94177, 5],
    afterInterleave: {"state": "293937245690557665821800615632328156573", "inc": "332724090758049132448979897138935081983", "has_uint32": 1, "uinteger": 3269070127},
  },
  {
    seed: "4294967303",
    initial: {"state": "223287629857623181254596853466259223609", "inc": "308150279551341003411871369124747215903", "has_uint32": 0, "uinteger": 0},
    random: [0.7701409510034741, 0.1119272443176843, 0.18909773329712753, 0.15995526155905015, 0.43196882203614395, 0.5017284715028505],
    afterRandom: {"state": "186826796970700922577290382500433146303", "inc": "308150279551341003411871369124747215903", "has_uint32": 0, "uinteger": 0},
    uniform: [1.735775230519108, -1.8844001562527364, -1.4599624668657984, 1.1605156910415544, 3.132341990940007, 3.638029689924163],
    integers: {"2": [1, 1, 1, 0, 0, 0, 0], "3": [2, 2, 2, 0, 0, 0, 0], "10": [8, 7, 8, 1, 2, 1, 2], "1000003": [870262, 770143, 875858, 111927, 258893, 189098, 219247], "2147483648": [1868869222, 1653865098, 1880887030, 240361926, 555968905, 406084290, 470828273], "4294967296": [3737738445, 3307730197, 3761774060, 480723853, 1111937810, 812168580, 941656547], "3221225472": [2803303833, 2480797647, 360542889, 833953357, 706242410, 515251962, 1391468972, 1858038334, 2749493351, 3198118301, 986923066, 724098774, 1049649301, 1323886360, 1689835227, 1880502840, 795369633, 2137447832, 114590235, 221580710]},
    afterIntegers: {"2": {"state": "366513462380911640592671787912897933", "inc": "308150279551341003411871369124747215903", "has_uint32": 1, "uinteger": 687002617}, "3": {"state": "366513462380911640592671787912897933", "inc": "308150279551341003411871369124747215903", "has_uint32": 1, "uinteger": 687002617}, "10": {"state": "366513462380911640592671787912897933", "inc": "308150279551341003411871369124747215903", "has_uint32": 1, "uinteger": 687002617}, "1000003": {"state": "366513462380911640592671787912897933", "inc": "308150279551341003411871369124747215903", "has_uint32": 1, "uinteger": 687002617}, "2147483648": {"state": "366513462380911640592671787912897933", "inc": "308150279551341003411871369124747215903", "has_uint32": 1, "uinteger": 687002617}, "4294967296": {"state": "366513462380911640592671787912897933", "inc": "308150279551341003411871369124747215903", "has_uint32": 1, "uinteger": 687002617}, "3221225472": {"state": "281441413540232043375470582588158904232", "inc": "308150279551341003411871369124747215903", "has_uint32": 1, "uinteger": 3359932628}},
    interleave: [8, 0.1119272443176843, 770143, 2, 0.15995526155905015, 189098, 5, 0.5017284715028505, 431970, 5],
    afterInterleave: {"state": "46068667927101286284323689514762794650", "inc": "308150279551341003411871369124747215903", "has_uint32": 1, "uinteger": 4264157735},
  },
  {
    seed: "1180591620717411315769",
    initial: {"state": "268708914970701677108854071897683542775", "inc": "167625537081318497619288500264797801057", "has_uint32": 0, "uinteger": 0},
    random: [0.23007034884505184, 0.5915818432906566, 0.6697711392394274, 0.24160882468206146, 0.7130028506069598, 0.3834453998772981],
    afterRandom: {"state": "309488034837863605738626847675142763505", "inc": "167625537081318497619288500264797801057", "has_uint32": 0, "uinteger": 0},
    uniform: [-1.234613081352215, 0.753700138098611, 1.1837412658168507, 1.7524223701202633, 5.169557664049852, 2.7805957037105338],
    integers: {"2": [0, 0, 1, 1, 1, 1, 0], "3": [0, 0, 2, 1, 2, 2, 1], "10": [0, 2, 8, 5, 8, 6, 4], "1000003": [68809, 230071, 840769, 591583, 838005, 669773, 434453], "2147483648": [147766746, 494072312, 1805533202, 1270412334, 1799598098, 1438322569, 932977933], "4294967296": [295533492, 988144624, 3611066405, 2540824669, 3599196197, 2876645138, 1865955867], "3221225472": [2708299803, 1905618501, 2699397147, 2157483853, 1399466900, 2296742943, 884670313, 2095125345, 239796512, 2076758679, 2385933726, 539325231, 665564393, 1615916127, 3187051907, 1630403358, 886736510, 971382967, 2800943880, 3129184478]},
    afterIntegers: {"2": {"state": "301954039645501510510743666948947844259", "inc": "167625537081318497619288500264797801057", "has_uint32": 1, "uinteger": 1037702000}, "3": {"state": "301954039645501510510743666948947844259", "inc": "167625537081318497619288500264797801057", "has_uint32": 1, "uinteger": 1037702000}, "10": {"state": "301954039645501510510743666948947844259", "inc": "167625537081318497619288500264797801057", "has_uint32": 1, "uinteger": 1037702000}, "1000003": {"state": "301954039645501510510743666948947844259", "inc": "167625537081318497619288500264797801057", "has_uint32": 1, "uinteger": 1037702000}, "2147483648": {"state": "301954039645501510510743666948947844259", "inc": "167625537081318497619288500264797801057", "has_uint32": 1, "uinteger": 1037702000}, "4294967296": {"state": "301954039645501510510743666948947844259", "inc": "167625537081318497619288500264797801057", "has_uint32": 1, "uinteger": 1037702000}, "3221225472": {"state": "172275470200725485372204262437254386389", "inc": "167625537081318497619288500264797801057", "has_uint32": 1, "uinteger": 2680171052}},
    interleave: [0, 0.5915818432906566, 230071, 8, 0.24160882468206146, 669773, 3, 0.3834453998772981, 713004, 4],
    afterInterleave: {"state": "135152220476357792406959092780804694102", "inc": "167625537081318497619288500264797801057", "has_uint32": 1, "uinteger": 319728683},
  },
  {
    seed: "1361129467683753853853498429727072845923",
    initial: {"state": "289359979969344536724419837465691427329", "inc": "126657777881676815569379905826235053269", "has_uint32": 0, "uinteger": 0},
    random: [0.6049553301667588, 0.6040519082034432, 0.8195413379628853, 0.5713763012921828, 0.23002880653395696, 0.10547580559372027],
    afterRandom: {"state": "141802946619319555525296185273054726451", "inc": "126657777881676815569379905826235053269", "has_uint32": 0, "uinteger": 0},
    uniform: [0.8272543159171737, 0.8222854951189378, 2.007477358795869, 4.142906808067033, 1.6684788185646537, 0.7655941147488782],
    integers: {"2": [1, 1, 1, 1, 0, 1, 1], "3": [1, 1, 2, 1, 0, 2, 2], "10": [6, 6, 8, 6, 2, 8, 7], "1000003": [607113, 604957, 820185, 604053, 270676, 819543, 759369], "2147483648": [1303762295, 1299131679, 1761329405, 1297191595, 581271878, 1759951622, 1630729311], "4294967296": [2607524591, 2598263358, 3522658810, 2594383190, 1162543756, 3519903244, 3261458622], "3221225472": [1955643443, 1948697518, 2641994107, 1945787392, 2446093966, 1840531895, 648292031, 740974650, 1753257293, 339761351, 674993728, 3041737621, 469622688, 2655453177, 2416989412, 2227996325, 1024984925, 2805820517, 2324686515, 3196176842]},
    afterIntegers: {"2": {"state": "117033820250914347360621673776382792381", "inc": "126657777881676815569379905826235053269", "has_uint32": 1, "uinteger": 2454042527}, "3": {"state": "117033820250914347360621673776382792381", "inc": "126657777881676815569379905826235053269", "has_uint32": 1, "uinteger": 2454042527}, "10": {"state": "117033820250914347360621673776382792381", "inc": "126657777881676815569379905826235053269", "has_uint32": 1, "uinteger": 2454042527}, "1000003": {"state": "117033820250914347360621673776382792381", "inc": "126657777881676815569379905826235053269", "has_uint32": 1, "uinteger": 2454042527}, "2147483648": {"state": "117033820250914347360621673776382792381", "inc": "126657777881676815569379905826235053269", "has_uint32": 1, "uinteger": 2454042527}, "4294967296": {"state": "117033820250914347360621673776382792381", "inc": "126657777881676815569379905826235053269", "has_uint32": 1, "uinteger": 2454042527}, "3221225472": {"state": "101559620728697983815620392368919011038", "inc": "126657777881676815569379905826235053269", "has_uint32": 1, "uinteger": 1238257208}},
    interleave: [6, 0.6040519082034432, 604957, 2, 0.5713763012921828, 819543, 2, 0.10547580559372027, 230029, 6],
    afterInterleave: {"state": "139454393127586078861613506361783611796", "inc": "126657777881676815569379905826235053269", "has_uint32": 1, "uinteger": 899991638},
  },
];

const INTEGER_NS = [2, 3, 10, 1000003, 2 ** 31, 2 ** 32, 3 * 2 ** 30];

/** Seeds as the API takes them: safe integers as numbers, larger ones as bigints. */
function seedOf(c: NumpyCase): number | bigint {
  const b = BigInt(c.seed);
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

function seeded(seed: number | bigint, size = 1, i = 0): PCG64Bank {
  const bank = new PCG64Bank(size);
  bank.seed(i, seed);
  return bank;
}

function asNumpy(s: PCG64State): NumpyState {
  assert.equal(s.bit_generator, "PCG64");
  return { state: s.state.state, inc: s.state.inc, has_uint32: s.has_uint32, uinteger: s.uinteger };
}

describe("PCG64Bank vs numpy default_rng", () => {
  for (const c of NUMPY) {
    describe(`seed ${c.seed}`, () => {
      const seed = seedOf(c);

      it("seeding gives numpy's initial bit_generator.state", () => {
        assert.deepEqual(asNumpy(seeded(seed).getState(0)), c.initial);
      });

      it("random() sequence and state after it", () => {
        const bank = seeded(seed);
        assert.deepEqual(c.random.map(() => bank.random(0)), c.random);
        assert.deepEqual(asNumpy(bank.getState(0)), c.afterRandom);
      });

      it("uniform(low, high) sequence", () => {
        const bank = seeded(seed);
        const got = [
          ...[0, 1, 2].map(() => bank.uniform(0, -2.5, 3.0)),
          ...[0, 1, 2].map(() => bank.uniform(0, 1e-3, 7.25)),
        ];
        assert.deepEqual(got, c.uniform);
      });

      for (const n of INTEGER_NS) {
        it(`integers(${n}) sequence and state after it (buffered uint32 half)`, () => {
          const bank = seeded(seed);
          const want = c.integers[String(n)]!;
          assert.deepEqual(want.map(() => bank.integers(0, n)), want);
          assert.deepEqual(asNumpy(bank.getState(0)), c.afterIntegers[String(n)]);
        });
      }

      it("interleaved integers()/random() use numpy's buffered uint32 half", () => {
        const bank = seeded(seed);
        const got: number[] = [];
        for (let k = 0; k < 3; k++) got.push(bank.integers(0, 10), bank.random(0), bank.integers(0, 1000003));
        got.push(bank.integers(0, 7));
        assert.deepEqual(got, c.interleave);
        assert.deepEqual(asNumpy(bank.getState(0)), c.afterInterleave);
        assert.equal(c.afterInterleave.has_uint32, 1, "fixture sanity: ends with a buffered half");
      });

      it("generator i of a bank is independent of its neighbours", () => {
        const bank = new PCG64Bank(3);
        bank.seed(0, 999);
        bank.seed(1, seed);
        bank.seed(2, 12345);
        bank.random(0);
        bank.integers(2, 10);
        const got = c.random.map((_, k) => (bank.random(2), bank.integers(0, 3), bank.random(1)));
        assert.deepEqual(got, c.random);
        assert.deepEqual(asNumpy(bank.getState(1)), c.afterRandom);
      });
    });
  }

  it("a number seed and the equal bigint seed give the same stream", () => {
    const a = seeded(42), b = seeded(42n), big = seeded(2 ** 32 + 7), bigB = seeded(2n ** 32n + 7n);
    assert.deepEqual(asNumpy(a.getState(0)), asNumpy(b.getState(0)));
    assert.deepEqual(asNumpy(big.getState(0)), asNumpy(bigB.getState(0)));
  });

  it("different seeds give different streams", () => {
    const firsts = NUMPY.map((c) => seeded(seedOf(c)).random(0));
    assert.equal(new Set(firsts).size, firsts.length);
  });

  it("integers(1) is always 0 and draws nothing; n outside [1, 2^32] throws", () => {
    const bank = seeded(0);
    const before = bank.getState(0);
    assert.equal(bank.integers(0, 1), 0);
    assert.deepEqual(bank.getState(0), before);
    for (const n of [0, -1, 1.5, NaN, 2 ** 32 + 1]) assert.throws(() => bank.integers(0, n), RangeError, `n = ${n}`);
  });
});

describe("PCG64Bank state round trip", () => {
  for (const draws of [4, 5]) {
    it(`getState/setState after ${draws} integers() draws (has_uint32 = ${draws % 2}) continues identically`, () => {
      const a = seeded(42);
      for (let k = 0; k < draws; k++) a.integers(0, 1000003);
      const saved = JSON.parse(JSON.stringify(a.getState(0))) as PCG64State;
      assert.equal(saved.has_uint32, draws % 2);
      const b = new PCG64Bank(2);
      b.seed(1, 7);
      b.setState(1, saved);
      assert.deepEqual(b.getState(1), a.getState(0));
      const seqA: number[] = [], seqB: number[] = [];
      for (let k = 0; k < 50; k++) {
        seqA.push(a.integers(0, 10), a.random(0), a.uniform(0, -1, 1), a.integers(0, 2 ** 32));
        seqB.push(b.integers(1, 10), b.random(1), b.uniform(1, -1, 1), b.integers(1, 2 ** 32));
      }
      assert.deepEqual(seqB, seqA);
      assert.deepEqual(b.getState(1), a.getState(0));
    });
  }

  it("setState accepts numpy's state and reproduces numpy's continuation", () => {
    // numpy: default_rng(0) after 3 x [integers(10), random(), integers(1000003)] + integers(7); set into a fresh bank
    const c = NUMPY[0]!;
    const bank = new PCG64Bank(1);
    bank.setState(0, { bit_generator: "PCG64", state: { state: c.initial.state, inc: c.initial.inc }, has_uint32: 0, uinteger: 0 });
    assert.deepEqual(c.random.map(() => bank.random(0)), c.random);
    bank.setState(0, { bit_generator: "PCG64", state: { state: c.afterInterleave.state, inc: c.afterInterleave.inc }, has_uint32: 1, uinteger: c.afterInterleave.uinteger });
    // the buffered half is returned first, unchanged, by a 2^32 draw
    assert.equal(bank.integers(0, 2 ** 32), c.afterInterleave.uinteger);
  });

  it("copyFrom copies one generator including its buffered half", () => {
    const src = seeded(1, 3, 2);
    src.integers(2, 10);
    const dst = new PCG64Bank(2);
    dst.copyFrom(0, src, 2);
    assert.deepEqual(dst.getState(0), src.getState(2));
    assert.equal(dst.integers(0, 1000), src.integers(2, 1000));
  });

  it("setState rejects things that are not PCG64 states", () => {
    const bank = new PCG64Bank(1);
    assert.throws(() => bank.setState(0, { bit_generator: "MT19937" } as unknown as PCG64State), TypeError);
    assert.throws(() => bank.setState(0, null as unknown as PCG64State), TypeError);
    const tooBig = { bit_generator: "PCG64", state: { state: (1n << 128n).toString(), inc: "1" }, has_uint32: 0, uinteger: 0 } as const;
    assert.throws(() => bank.setState(0, tooBig), RangeError);
  });
});

describe("invalid seeds", () => {
  const bad: [unknown, string][] = [
    [-1, "-1"],
    [1.5, "1.5"],
    [NaN, "NaN"],
    ["3", "3"],
    [-1n, "-1"],
    [2 ** 53, String(2 ** 53)],
  ];
  for (const [seed, shown] of bad) {
    const label = typeof seed === "string" ? JSON.stringify(seed) : typeof seed === "bigint" ? `${seed}n` : String(seed);
    it(`seed ${label} throws a RangeError naming the seed`, () => {
      const check = (err: unknown) => {
        assert.ok(err instanceof RangeError, `expected RangeError, got ${String(err)}`);
        assert.match(err.message, /seed/);
        assert.ok(err.message.includes(shown), `message should show the bad value ${shown}: ${err.message}`);
        return true;
      };
      assert.throws(() => new PCG64Bank(1).seed(0, seed as number), check);
      assert.throws(() => new Discrete(3).seed(seed as number), check);
      assert.throws(() => make("CartPole-v1").reset({ seed: seed as number }), check);
    });
  }

  it("bank size must be a positive integer", () => {
    for (const size of [0, -1, 1.5, NaN]) assert.throws(() => new PCG64Bank(size), RangeError);
  });
});

describe("Generator.standardNormal vs numpy", () => {
  it("draws numpy's standard_normal bit for bit, tail and wedge draws included", async () => {
    const { Generator } = await import("../src/rng/generator.js");
    const g = new Generator(2024);
    // numpy: d = default_rng(2024).standard_normal(100000); 27 of them lie in the tail beyond R = 3.654
    const first = [1.0288568739519013, 1.6419200406711503, 1.1467195295966137];
    for (const x of first) assert.equal(g.standardNormal(), x);
    let sum = first.reduce((a, b) => a + b, 0), tail = 0;
    for (let i = 3; i < 100000; i++) {
      const x = g.standardNormal();
      sum += x;
      if (Math.abs(x) > 3.6541528853610088) tail++;
    }
    assert.equal(tail, 27);
    assert.equal(sum, 254.22394594809236); // numpy: s = 0.0; for x in d: s += float(x)
  });
});

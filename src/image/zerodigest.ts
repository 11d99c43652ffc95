// The SHA-256 of an all-zero blob, as CRIU tells a zero page by its flag rather than its bytes: known
// ahead for the size a checkpoint cuts memory into (runtime/memorycut.ts MEMORY_PART, 4 MiB) and for each
// size a memory's last part can have (a multiple of the 64 KiB WebAssembly page below it), so a restore
// knows an all-zero memory part by its name without first hashing megabytes of zeros on the thread that
// then starts the memory read (3-8 ms at 4 MiB, ~0.7 ms for a last part of 1.1 MiB). Any other size is
// hashed, once per image read.
import type { ImageStore } from './store.js';

/** SHA-256 hex of `size` zero bytes, by size: every multiple of 64 KiB up to 4 MiB, each checked against
 *  a hash of zeros by zerodigest.test.ts. */
export const KNOWN_ZERO_HEXES: ReadonlyMap<number, string> = new Map([
  [1 << 16, 'de2f256064a0af797747c2b97505dc0b9f3df0de4f489eac731c23ae9ca9cc31'],
  [2 << 16, 'fa43239bcee7b97ca62f007cc68487560a39e19f74f3dde7486db3f98df8e471'],
  [3 << 16, '3381de4ca9f3a477f25989dfc8b744e7916046b7aa369f61a9a2f7dc0963ec9e'],
  [4 << 16, '8a39d2abd3999ab73c34db2476849cddf303ce389b35826850f9a700589b4a90'],
  [5 << 16, 'dae4d3dce1bb0a9414f61a65ee07622fa225ec01e6efe6df6e78f9ad5c58480d'],
  [6 << 16, 'a6619f482fee91a315f76cdcd8705d39b6ce11077c435ccc696142e130c27762'],
  [7 << 16, '183facbc37f3a18e7fbdd26d4963c44885692139b16d1da7a41da17e5770f9e1'],
  [8 << 16, '07854d2fef297a06ba81685e660c332de36d5d18d546927d30daad6d7fda1541'],
  [9 << 16, '250480ecefa3655c774b6a4e5d4eb16675ee4f181c2285c25020fac6e3aaf3b5'],
  [10 << 16, 'ff6335069b6e140eb47149d847aea80bf7e2b06bd80ae9708aa382efb3ae21ee'],
  [11 << 16, '25b3bdbb0b645439198ec8d2a16b44c6558be73b4cd28f1e64070484abd2da19'],
  [12 << 16, '599c1bb5ffd4b87229a81958f33f1060821cd01cd7aa7ccafa0d862f4522f3f6'],
  [13 << 16, '13df1b6b49dd17e47a1162286446485633aa23414c1e42c319d2609844fd2799'],
  [14 << 16, 'b527dab94f6bf43c3ccbea0f804d18604204064047f4efa0f7b6d859c2d706eb'],
  [15 << 16, 'ca02793076b8845454d3cc4d949bda5bc49fe16d063e310331f86318ed644ba7'],
  [16 << 16, '30e14955ebf1352266dc2ff8067e68104607e750abb9d3b36582b8af909fcb58'],
  [17 << 16, 'f1295e11a9e904f62008f50df5da2a0c3a89d90ffb9c445ae11789704413d396'],
  [18 << 16, 'a76c77fe203db862b48214c88fbdc1d5560655ccba2f7a2c7166baf6f846e856'],
  [19 << 16, '8edd38b3743743b5cb68580d9f504081ba9bffd976b053871c60d2994d2ceb10'],
  [20 << 16, '439292e489a0a35e4a3a0fe304ea1a680337243fa53b135aa9310881e1d7e078'],
  [21 << 16, '9794838a8913f06045b1b48909d103d4208f6a8050845b796cdcc20e5600452f'],
  [22 << 16, 'bc0e850acad44b88e87d4396ad3093aeb1df2ca09685447288806e29098c526e'],
  [23 << 16, '58c839011ef2f755811a081c713324212dbd81777570b4c4417c24b283544e3c'],
  [24 << 16, '106f0647ae10a6516b1ab2968038161e287ef40d1b22ca047531ed768e594ef1'],
  [25 << 16, '0655c923944257942252e3484efa09d83329b93522af84c653f8b36b3453eaee'],
  [26 << 16, 'c618bdb6582e456bb65835701d187ea54b1357918d2a4946fe53cf8a806acd45'],
  [27 << 16, 'f0a0e8d753bbee26646b9cedd3cad510258b922274c4085b8da7d4f08e4cca3f'],
  [28 << 16, 'c55ab05d6d767c58e086c8583da4337a08ac85278d36b82644ee1d03064318db'],
  [29 << 16, 'd9d26b7c8ce42930544a4032a65355a908262c26f5892a0ab1808e0c39a09521'],
  [30 << 16, '92fd45c62bf2641e0dd33eb05d215c9c15b5c5856aaa4a758bcde6d65ea16e4f'],
  [31 << 16, '53bc62f02174b727ce8e17bcb3f7f109193852dd6e4ec1a73d75e87275df98f5'],
  [32 << 16, '5647f05ec18958947d32874eeb788fa396a05d0bab7c1b71f112ceb7e9b31eee'],
  [33 << 16, '658bcdee89400b229d873d5e5b3acdea64d657f3a0f199f1a6762749f02ab0ae'],
  [34 << 16, '7b15c3f99be0c5f9ae0a0ecdc21d3a8c4dc8006aed712338a0ad06aa35382793'],
  [35 << 16, 'f9f69f2afaff3dbcd98b095f62d13b5cfcd9eb032d5c4dee39cab25912abc9ac'],
  [36 << 16, '96a12deebdc8a3421e923d2fc00a649326f0b5167b48ffd231941a415777308c'],
  [37 << 16, '8b514527a67a5637e71302119b1e8499d1c525823641ce53bfab73878b01e124'],
  [38 << 16, '09c27215734f076cb9795fce1bbcd03e17350f860ac7429793b3dc083f3f1890'],
  [39 << 16, '74b0d582e792051c9503ea0e4df95371c115aeba959f540ddf0f3115afb6dabc'],
  [40 << 16, '6de7493c5c90f643357c268fbaaf461c1567e0334e4948023ce17268403aa37a'],
  [41 << 16, '0ad562b18ce600e4450357ef678b4da685d875d5cb8a65d82eb7eb3c1dd93a7b'],
  [42 << 16, 'bfbe59c022a8459063dd75cea8b0fd930750f5ef9c4833a3c86c6d72d7a6085a'],
  [43 << 16, '1f0aae676ce4b4eae9eb1b594c51b0f3cf54765a8c8b11a46371afeb375ed8ab'],
  [44 << 16, '2d4368dd8667fac3e52e9d314272c572a620f8d017d7c47e55c9ba8bac899221'],
  [45 << 16, '79420d21a0f853a7f9e95fa0c49bf857125db8b78b7924d8577869d6acbc6f73'],
  [46 << 16, '97ff0113dc37531b51066723d46dab4e055a11d120d1352c3e68e2c4da1e6350'],
  [47 << 16, 'd4a336c4410d9040e809406d658b43a118331dda261027cf213671cb8bf35672'],
  [48 << 16, 'bbd05cf6097ac9b1f89ea29d2542c1b7b67ee46848393895f5a9e43fa1f621e5'],
  [49 << 16, '5c8c79ffd4ef2ec929a64abd88d530281abe6f776ac2cabecc28052dd8d77b2b'],
  [50 << 16, '3ef04f217d88298e8da77db7e129918f67bbc6964edff6095483c89aca6e017d'],
  [51 << 16, '4ee141d0a705f4f916a54d65f8008c966d7fe1cf2afe9195a33cb5f4f9ccc5ca'],
  [52 << 16, 'fc77dda0e6e0aaf12128f8c7749f5b934cf0574a024b08db8ea774fd3ca36900'],
  [53 << 16, 'd1b7a3152a09b00c6149b6a7a512386ed0c21078c8b6d20e0ea7243a41943a0b'],
  [54 << 16, '5954ceccd88af0372fdb44664cf8ea76c5e24e1f88b64c87f911abac9ba149fd'],
  [55 << 16, 'fd010e225a88354699a42bda019440525b97dde0e2ee0e759fac0ea2ba08262a'],
  [56 << 16, '4d9cbaf3aa0935a8c113f139691b3daf9c94c8d6c278aedc8eec66a4b9f6c8ae'],
  [57 << 16, '70a6d092d9a5d59309c9ad48f4db1e64f84a33c92f999ebd8779742d3607cb6b'],
  [58 << 16, 'ef39a8979c5ebbc6b86d22952b5dc213b742aa5bf3b0d5ef1cab359481a97d60'],
  [59 << 16, 'f8b22e5575972a496422b5a224e5df8be95e7834643c512a7b7b27e41593f757'],
  [60 << 16, '9af8275830f1496e82873fd2944a1619944f6fec9a380e7ad8fe3dd039010340'],
  [61 << 16, '33566483602fe0eccd1493334d562030096488f2ca88d30b4fecf7f05dbdbbc1'],
  [62 << 16, '449089b1c91f8f85ef185754e9f54720470103939a165979f36ac085248c82ff'],
  [63 << 16, 'f1d5866a6372834d06e059223b6fcb37086678feca2325e5b235c72a99620b05'],
  [4 << 20, 'bb9f8df61474d25e71fa00722318cd387396ca1736605e1248821cc0de3d3af8'],
]);

/** The SHA-256 hex of `size` zero bytes for a size KNOWN_ZERO_HEXES holds (a checkpoint's part size). */
export function knownZeroHex(size: number): string {
  const hex = KNOWN_ZERO_HEXES.get(size);
  if (hex === undefined) throw new RangeError(`no known SHA-256 of ${size} zero bytes`);
  return hex;
}

/** The SHA-256 hex of `size` zero bytes: known, else hashed by store (and remembered in cache). */
export function zeroHexOf(store: ImageStore, size: number, cache: Map<number, string>): string {
  let hex = KNOWN_ZERO_HEXES.get(size) ?? cache.get(size);
  if (hex === undefined) {
    const hash = store.sha256();
    hash.update(new Uint8Array(size));
    hex = hash.hexDigest();
    cache.set(size, hex);
  }
  return hex;
}

//! Short authentication string: four words both screens show after a meet, compared aloud.
//!
//! Derived from both receipt halves' ids (sorted, so both phones compute the same words):
//! SHA-256(domain ‖ lower id ‖ higher id), first 4 bytes, each an index into a fixed list of
//! 256 short, concrete English nouns. 32 bits: a person who swapped in a different half (a
//! relay in the middle, a second phone) would have to match the words by luck, 1 in 4 billion.

use nostr::EventId;
use sha2::{Digest, Sha256};

const SAS_DOMAIN: &[u8] = b"freeport/meet/v1/sas\0";

/// The fixed word list (256 entries, sorted, unique; the order is part of the format).
pub const WORDS: [&str; 256] = [
    "acorn", "anchor", "apple", "arrow", "badge", "bagel", "bamboo", "banjo", "barn", "basket",
    "beach", "bean", "beard", "beetle", "bell", "berry", "bike", "bird", "blanket", "boat", "bone",
    "book", "boot", "bottle", "bowl", "box", "bread", "brick", "bridge", "broom", "bucket",
    "button", "cabin", "cactus", "cake", "camel", "camera", "candle", "canoe", "carpet", "carrot",
    "castle", "cat", "cave", "chair", "cheese", "cherry", "chess", "circle", "cliff", "clock",
    "cloud", "clover", "coat", "coconut", "coffee", "coin", "comet", "compass", "cookie", "coral",
    "corn", "cotton", "cow", "crab", "crane", "crayon", "crown", "cup", "daisy", "desk", "diamond",
    "dog", "dolphin", "donkey", "door", "dragon", "drum", "duck", "dune", "eagle", "egg", "elbow",
    "engine", "falcon", "feather", "fence", "fern", "finger", "fish", "flag", "flute", "forest",
    "fork", "fountain", "fox", "frog", "garden", "garlic", "ghost", "giraffe", "glass", "globe",
    "glove", "goat", "grape", "guitar", "hammer", "harbor", "hat", "hawk", "heart", "helmet",
    "hill", "honey", "horse", "house", "igloo", "island", "jacket", "jar", "jelly", "kayak",
    "kettle", "key", "kite", "kitten", "knot", "ladder", "lake", "lamp", "lantern", "lemon",
    "letter", "lion", "lizard", "lobster", "lock", "magnet", "mango", "map", "marble", "meadow",
    "melon", "mirror", "monkey", "moon", "mountain", "mouse", "mushroom", "needle", "nest",
    "noodle", "ocean", "olive", "onion", "orange", "otter", "owl", "paddle", "panda", "paper",
    "parrot", "peach", "peanut", "pear", "pebble", "pencil", "penguin", "pepper", "piano",
    "pillow", "pine", "pizza", "planet", "plum", "pocket", "pony", "potato", "pumpkin", "puzzle",
    "rabbit", "radio", "rain", "rainbow", "river", "robot", "rocket", "rope", "rose", "ruby",
    "saddle", "salad", "salmon", "sandal", "saucer", "scarf", "seal", "shark", "sheep", "shell",
    "ship", "shoe", "silver", "skate", "sled", "snail", "snake", "sock", "spider", "spoon",
    "squirrel", "star", "stone", "storm", "straw", "sugar", "summer", "sun", "swan", "sweater",
    "table", "taco", "teapot", "tent", "tiger", "toast", "tomato", "tooth", "torch", "tower",
    "tractor", "train", "tree", "truck", "trumpet", "tulip", "turtle", "umbrella", "unicorn",
    "valley", "vase", "violin", "wagon", "wallet", "walnut", "walrus", "water", "whale", "wheel",
    "whistle", "window", "wizard", "wolf", "yogurt", "zebra",
];

/// The four words for a met pair; the same whichever half is passed first.
pub fn short_auth_words(a: &EventId, b: &EventId) -> [&'static str; 4] {
    let (x, y) = if a.as_bytes() <= b.as_bytes() {
        (a, b)
    } else {
        (b, a)
    };
    let mut h = Sha256::new();
    h.update(SAS_DOMAIN);
    h.update(x.as_bytes());
    h.update(y.as_bytes());
    let d = h.finalize();
    [
        WORDS[usize::from(d[0])],
        WORDS[usize::from(d[1])],
        WORDS[usize::from(d[2])],
        WORDS[usize::from(d[3])],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_list_is_256_unique_sorted_lowercase() {
        for w in WORDS.windows(2) {
            assert!(w[0] < w[1], "{} !< {}", w[0], w[1]);
        }
        assert!(
            WORDS
                .iter()
                .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        );
    }

    #[test]
    fn words_are_symmetric_and_depend_on_both_ids() {
        let a = EventId::from_byte_array([1; 32]);
        let b = EventId::from_byte_array([2; 32]);
        let c = EventId::from_byte_array([3; 32]);
        assert_eq!(short_auth_words(&a, &b), short_auth_words(&b, &a));
        assert_ne!(short_auth_words(&a, &b), short_auth_words(&a, &c));
        assert_ne!(short_auth_words(&a, &b), short_auth_words(&c, &b));
        // Pinned vector (computed independently with Python's hashlib): the derivation is part
        // of the format both phones must agree on.
        assert_eq!(
            short_auth_words(&a, &b),
            ["yogurt", "island", "panda", "giraffe"]
        );
    }
}

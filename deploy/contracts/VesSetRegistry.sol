// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title VesSetRegistry
/// @notice Set Chain's SetRegistry interface for ves-sequencer: batch commitments chained by
///         state roots per (tenant, store) stream, sequencer authorisation by address, and
///         on-chain verification of VES inclusion proofs.
/// @dev Interface as the Set Chain seed documents describe it (commitBatch,
///      getLatestStateRoot, getHeadSequence, commitments, latestCommitment, headSequence,
///      totalCommitments, strictModeEnabled, authorizedSequencers, setSequencerAuthorization,
///      setStrictMode, verifyInclusion, verifyMultipleInclusions), not upgradeable.
///      Inclusion proofs use the VES tree of ves-crypto §6, hashed with the sha256
///      precompile: node = SHA256("VES_NODE_V1" || left || right); at depth d the current
///      node is the LEFT child iff bit d of leafIndex is 0; a single-leaf tree's root is the
///      leaf itself (empty proof). A proof must have exactly the tree's depth
///      (ceil(log2(eventCount))) and leafIndex < eventCount, so neither an inner node nor a
///      padding leaf can pass for an event.
///      Strict mode (on by default): prevStateRoot must equal the stream's latest state root
///      (zero for a stream without commitments) and sequenceStart must be the stream's head
///      sequence + 1 once the stream has a commitment — no gaps, no forks.
contract VesSetRegistry {
    struct BatchCommitment {
        bytes32 eventsRoot;
        bytes32 prevStateRoot;
        bytes32 newStateRoot;
        uint64 sequenceStart;
        uint64 sequenceEnd;
        uint32 eventCount;
        uint64 timestamp;
        address submitter;
    }

    /// @notice Longest proof accepted (trees of up to 2^64 leaves).
    uint256 public constant MAX_PROOF_DEPTH = 64;

    mapping(address => bool) public authorizedSequencers;
    mapping(bytes32 => BatchCommitment) public commitments;
    /// @notice keccak256(tenantId || storeId) → batch id of the stream's latest commitment.
    mapping(bytes32 => bytes32) public latestCommitment;
    /// @notice keccak256(tenantId || storeId) → sequenceEnd of the stream's latest commitment.
    mapping(bytes32 => uint64) public headSequence;
    uint256 public totalCommitments;
    bool public strictModeEnabled;
    address public owner;

    event SequencerAuthorized(address indexed sequencer, bool authorized);
    event StrictModeUpdated(bool enabled);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    event BatchCommitted(
        bytes32 indexed batchId,
        bytes32 indexed tenantStoreKey,
        bytes32 eventsRoot,
        bytes32 newStateRoot,
        uint64 sequenceStart,
        uint64 sequenceEnd,
        uint32 eventCount
    );

    error NotOwner();
    error NotAuthorizedSequencer();
    error InvalidSequenceRange();
    error EmptyEventsRoot();
    error EmptyBatch();
    error BatchAlreadyCommitted();
    error StateRootMismatch(bytes32 expected, bytes32 provided);
    error SequenceGap(uint64 expected, uint64 provided);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    constructor(address initialSequencer) {
        owner = msg.sender;
        strictModeEnabled = true;
        emit OwnershipTransferred(address(0), msg.sender);
        if (initialSequencer != address(0)) {
            authorizedSequencers[initialSequencer] = true;
            emit SequencerAuthorized(initialSequencer, true);
        }
    }

    // -- administration ----------------------------------------------------------------------

    function setSequencerAuthorization(address sequencer, bool authorized) external onlyOwner {
        authorizedSequencers[sequencer] = authorized;
        emit SequencerAuthorized(sequencer, authorized);
    }

    function setStrictMode(bool enabled) external onlyOwner {
        strictModeEnabled = enabled;
        emit StrictModeUpdated(enabled);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    // -- commitments -------------------------------------------------------------------------

    function commitBatch(
        bytes32 batchId,
        bytes32 tenantId,
        bytes32 storeId,
        bytes32 eventsRoot,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        uint64 sequenceStart,
        uint64 sequenceEnd,
        uint32 eventCount
    ) external {
        if (!authorizedSequencers[msg.sender]) revert NotAuthorizedSequencer();
        if (sequenceEnd < sequenceStart) revert InvalidSequenceRange();
        if (eventsRoot == bytes32(0)) revert EmptyEventsRoot();
        if (eventCount == 0) revert EmptyBatch();
        if (commitments[batchId].timestamp != 0) revert BatchAlreadyCommitted();

        bytes32 key = keccak256(abi.encodePacked(tenantId, storeId));
        bytes32 lastId = latestCommitment[key];
        if (strictModeEnabled) {
            bytes32 latestRoot =
                lastId == bytes32(0) ? bytes32(0) : commitments[lastId].newStateRoot;
            if (prevStateRoot != latestRoot) revert StateRootMismatch(latestRoot, prevStateRoot);
            if (lastId != bytes32(0)) {
                uint64 expected = commitments[lastId].sequenceEnd + 1;
                if (sequenceStart != expected) revert SequenceGap(expected, sequenceStart);
            }
        }

        commitments[batchId] = BatchCommitment({
            eventsRoot: eventsRoot,
            prevStateRoot: prevStateRoot,
            newStateRoot: newStateRoot,
            sequenceStart: sequenceStart,
            sequenceEnd: sequenceEnd,
            eventCount: eventCount,
            timestamp: uint64(block.timestamp),
            submitter: msg.sender
        });
        latestCommitment[key] = batchId;
        headSequence[key] = sequenceEnd;
        totalCommitments++;

        emit BatchCommitted(
            batchId, key, eventsRoot, newStateRoot, sequenceStart, sequenceEnd, eventCount
        );
    }

    function getLatestStateRoot(bytes32 tenantId, bytes32 storeId) external view returns (bytes32) {
        bytes32 lastId = latestCommitment[keccak256(abi.encodePacked(tenantId, storeId))];
        if (lastId == bytes32(0)) return bytes32(0);
        return commitments[lastId].newStateRoot;
    }

    function getHeadSequence(bytes32 tenantId, bytes32 storeId) external view returns (uint64) {
        return headSequence[keccak256(abi.encodePacked(tenantId, storeId))];
    }

    // -- inclusion proofs --------------------------------------------------------------------

    /// @notice True when `leaf` is the leaf at `leafIndex` of the committed batch's events tree.
    function verifyInclusion(
        bytes32 batchId,
        bytes32 leaf,
        bytes32[] calldata proof,
        uint256 leafIndex
    ) external view returns (bool) {
        BatchCommitment storage c = commitments[batchId];
        if (c.timestamp == 0) return false;
        return _verify(c.eventsRoot, c.eventCount, leaf, proof, leafIndex);
    }

    /// @notice True when every (leaf, proof, index) triple verifies against the batch.
    function verifyMultipleInclusions(
        bytes32 batchId,
        bytes32[] calldata leaves,
        bytes32[][] calldata proofs,
        uint256[] calldata indices
    ) external view returns (bool) {
        if (leaves.length != proofs.length || leaves.length != indices.length) return false;
        BatchCommitment storage c = commitments[batchId];
        if (c.timestamp == 0) return false;
        for (uint256 i = 0; i < leaves.length; i++) {
            if (!_verify(c.eventsRoot, c.eventCount, leaves[i], proofs[i], indices[i])) {
                return false;
            }
        }
        return true;
    }

    function _verify(
        bytes32 root,
        uint32 eventCount,
        bytes32 leaf,
        bytes32[] calldata proof,
        uint256 leafIndex
    ) internal pure returns (bool) {
        if (leafIndex >= eventCount) return false;
        uint256 depth = 0;
        while ((uint256(1) << depth) < eventCount) depth++;
        if (proof.length != depth || depth > MAX_PROOF_DEPTH) return false;
        bytes32 current = leaf;
        for (uint256 d = 0; d < depth; d++) {
            if ((leafIndex >> d) & 1 == 0) {
                current = sha256(abi.encodePacked("VES_NODE_V1", current, proof[d]));
            } else {
                current = sha256(abi.encodePacked("VES_NODE_V1", proof[d], current));
            }
        }
        return current == root;
    }
}

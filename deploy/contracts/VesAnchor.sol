// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title VesAnchor
/// @notice Anchors ves-sequencer batch commitments (events Merkle root + state root) on an EVM
///         chain, one record per batch id.
/// @dev Keeps the reference StateSetAnchor ABI (anchor, anchorBatch, isAnchored, commitments,
///      getCommitment, getLatestSequence, verifyEventsRoot, getAnchoredCount, owner,
///      permissionless, transferOwnership, setPermissionless), so the sequencer can also talk
///      to an existing StateSetAnchor deployment. Differences, all additive:
///      - per-stream chaining: after the first anchor of a (tenant, store) stream, a new
///        anchor must start at the previous anchor's sequenceEnd + 1 (no gaps, no overlaps);
///      - besides the owner, addresses the owner authorises may anchor;
///      - a zero batch id is refused.
///      UUIDs are passed as bytes32: 16 UUID bytes followed by 16 zero bytes.
contract VesAnchor {
    struct Commitment {
        bytes32 batchId;
        bytes32 tenantId;
        bytes32 storeId;
        bytes32 eventsRoot;
        bytes32 stateRoot;
        uint64 sequenceStart;
        uint64 sequenceEnd;
        uint32 eventCount;
        uint256 anchoredAt;
        address anchoredBy;
    }

    event CommitmentAnchored(
        bytes32 indexed batchId,
        bytes32 indexed tenantId,
        bytes32 storeId,
        bytes32 eventsRoot,
        bytes32 stateRoot,
        uint64 sequenceStart,
        uint64 sequenceEnd,
        uint32 eventCount,
        uint256 timestamp
    );
    event BatchAnchored(bytes32 indexed batchRoot, uint256 commitmentCount, uint256 timestamp);
    event SequencerAuthorized(address indexed sequencer, bool authorized);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @notice The sequence does not continue the stream: `expected` = last anchored end + 1.
    error SequenceGap(uint64 expected, uint64 provided);

    /// @notice Anchored commitments by batch id (anchoredAt == 0: not anchored).
    mapping(bytes32 => Commitment) public commitments;
    /// @notice keccak256(tenantId || storeId) → sequenceEnd of the stream's last anchor.
    mapping(bytes32 => uint64) public latestSequence;
    /// @notice keccak256(tenantId || storeId) → whether the stream has been anchored before.
    mapping(bytes32 => bool) public streamAnchored;
    /// @notice Every anchored batch id, in anchoring order.
    bytes32[] public anchoredBatches;
    /// @notice Addresses allowed to anchor besides the owner.
    mapping(address => bool) public authorizedSequencers;

    address public owner;
    bool public permissionless;

    modifier onlyOwner() {
        require(msg.sender == owner, "Not owner");
        _;
    }

    modifier onlyAuthorized() {
        require(
            permissionless || msg.sender == owner || authorizedSequencers[msg.sender],
            "Not authorized"
        );
        _;
    }

    constructor(bool _permissionless) {
        owner = msg.sender;
        permissionless = _permissionless;
        emit OwnershipTransferred(address(0), msg.sender);
    }

    // -- anchoring ---------------------------------------------------------------------------

    function anchor(
        bytes32 batchId,
        bytes32 tenantId,
        bytes32 storeId,
        bytes32 eventsRoot,
        bytes32 stateRoot,
        uint64 sequenceStart,
        uint64 sequenceEnd,
        uint32 eventCount
    ) external onlyAuthorized {
        _anchor(
            batchId,
            tenantId,
            storeId,
            eventsRoot,
            stateRoot,
            sequenceStart,
            sequenceEnd,
            eventCount
        );
    }

    /// @notice Anchors several commitments in order; the chaining rule applies between them.
    function anchorBatch(
        bytes32[] calldata batchIds,
        bytes32[] calldata tenantIds,
        bytes32[] calldata storeIds,
        bytes32[] calldata eventsRoots,
        bytes32[] calldata stateRoots,
        uint64[] calldata sequenceStarts,
        uint64[] calldata sequenceEnds,
        uint32[] calldata eventCounts
    ) external onlyAuthorized {
        uint256 n = batchIds.length;
        require(
            tenantIds.length == n && storeIds.length == n && eventsRoots.length == n
                && stateRoots.length == n && sequenceStarts.length == n
                && sequenceEnds.length == n && eventCounts.length == n,
            "Array length mismatch"
        );
        for (uint256 i = 0; i < n; i++) {
            _anchor(
                batchIds[i],
                tenantIds[i],
                storeIds[i],
                eventsRoots[i],
                stateRoots[i],
                sequenceStarts[i],
                sequenceEnds[i],
                eventCounts[i]
            );
        }
        emit BatchAnchored(keccak256(abi.encodePacked(batchIds)), n, block.timestamp);
    }

    function _anchor(
        bytes32 batchId,
        bytes32 tenantId,
        bytes32 storeId,
        bytes32 eventsRoot,
        bytes32 stateRoot,
        uint64 sequenceStart,
        uint64 sequenceEnd,
        uint32 eventCount
    ) internal {
        require(batchId != bytes32(0), "Empty batch id");
        require(commitments[batchId].anchoredAt == 0, "Already anchored");
        require(sequenceEnd >= sequenceStart, "Invalid sequence range");
        require(eventCount > 0, "Empty batch");

        bytes32 key = keccak256(abi.encodePacked(tenantId, storeId));
        if (streamAnchored[key]) {
            uint64 expected = latestSequence[key] + 1;
            if (sequenceStart != expected) revert SequenceGap(expected, sequenceStart);
        }
        streamAnchored[key] = true;
        latestSequence[key] = sequenceEnd;

        commitments[batchId] = Commitment({
            batchId: batchId,
            tenantId: tenantId,
            storeId: storeId,
            eventsRoot: eventsRoot,
            stateRoot: stateRoot,
            sequenceStart: sequenceStart,
            sequenceEnd: sequenceEnd,
            eventCount: eventCount,
            anchoredAt: block.timestamp,
            anchoredBy: msg.sender
        });
        anchoredBatches.push(batchId);

        emit CommitmentAnchored(
            batchId,
            tenantId,
            storeId,
            eventsRoot,
            stateRoot,
            sequenceStart,
            sequenceEnd,
            eventCount,
            block.timestamp
        );
    }

    // -- queries -----------------------------------------------------------------------------

    function isAnchored(bytes32 batchId) external view returns (bool) {
        return commitments[batchId].anchoredAt != 0;
    }

    function verifyEventsRoot(bytes32 batchId, bytes32 eventsRoot) external view returns (bool) {
        Commitment storage c = commitments[batchId];
        return c.anchoredAt != 0 && c.eventsRoot == eventsRoot;
    }

    /// @notice The stored commitment; reverts with "Not anchored" for an unknown batch id.
    function getCommitment(bytes32 batchId)
        external
        view
        returns (
            bytes32 tenantId,
            bytes32 storeId,
            bytes32 eventsRoot,
            bytes32 stateRoot,
            uint64 sequenceStart,
            uint64 sequenceEnd,
            uint32 eventCount,
            uint256 anchoredAt,
            address anchoredBy
        )
    {
        Commitment storage c = commitments[batchId];
        require(c.anchoredAt != 0, "Not anchored");
        return (
            c.tenantId,
            c.storeId,
            c.eventsRoot,
            c.stateRoot,
            c.sequenceStart,
            c.sequenceEnd,
            c.eventCount,
            c.anchoredAt,
            c.anchoredBy
        );
    }

    function getLatestSequence(bytes32 tenantId, bytes32 storeId) external view returns (uint64) {
        return latestSequence[keccak256(abi.encodePacked(tenantId, storeId))];
    }

    function getAnchoredCount() external view returns (uint256) {
        return anchoredBatches.length;
    }

    // -- administration ----------------------------------------------------------------------

    function transferOwnership(address newOwner) external onlyOwner {
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    function setPermissionless(bool _permissionless) external onlyOwner {
        permissionless = _permissionless;
    }

    function setSequencerAuthorization(address sequencer, bool authorized) external onlyOwner {
        authorizedSequencers[sequencer] = authorized;
        emit SequencerAuthorized(sequencer, authorized);
    }
}
